// The online store on Redis Cluster; the key layout and what a write guarantees are in
// docs/impl.md "Online encoding" and docs/scaling.md "Online store on Redis Cluster".
#include <string_view>

#include "crc16.h"
#include "redis_cluster.h"
#include "stores_internal.h"
#include "varint.h"

namespace fst::online {
namespace {

// Rows per pipelined round: bounds the memory of a materialization's buffers.
constexpr size_t kChunk = 4096;

// Maps bytes to bytes without '{' or '}', injectively: 0x01 -> 01 01, '{' -> 01 02,
// '}' -> 01 03.
void Escape(std::string_view in, std::string* out) {
  for (const char c : in) {
    if (c == '\1' || c == '{' || c == '}') {
      out->push_back('\1');
      out->push_back(c == '\1' ? '\1' : c == '{' ? '\2' : '\3');
    } else {
      out->push_back(c);
    }
  }
}

// The prefix of every key of a project's store: the escaped project name and a zero byte (no
// project name holds one), so repos of different projects share a cluster without meeting.
std::string Namespace(const std::string& project) {
  std::string out;
  Escape(project, &out);
  out.push_back('\0');
  return out;
}

// A row: the namespace, the escaped view, a zero byte, then the escaped entity key as the hash
// tag, so all views' rows of one entity share a slot.
std::string RowKey(const std::string& ns, const std::string& view, const std::string& key) {
  std::string out = ns;
  out.reserve(ns.size() + view.size() + key.size() + 4);
  Escape(view, &out);
  out.append(1, '\0').append(1, '{');
  Escape(key, &out);
  out.push_back('}');
  return out;
}

// Bookkeeping records and their journals: the namespace, a zero byte (no view name is empty),
// the kind, a zero byte, then the escaped record name as the hash tag: a record and its
// journal share a slot.
std::string RecordKey(const std::string& ns, std::string_view kind, const std::string& name) {
  std::string out = ns;
  out.append(1, '\0').append(kind).append(1, '\0').append(1, '{');
  Escape(name, &out);
  out.push_back('}');
  return out;
}

RedisCommand Set(std::string key, std::string value) {
  const int slot = KeySlot(key);
  return RedisCommand{slot, {{"SET", std::move(key), std::move(value)}}};
}

// A journal: the record, then every row's Redis key and value, each length-prefixed.
std::string EncodeJournal(const std::string& record, const std::vector<RedisCommand>& sets) {
  std::string out;
  PutVarint(record.size(), &out);
  out.append(record);
  for (const auto& set : sets) {
    for (size_t a = 1; a <= 2; ++a) {
      PutVarint(set.argv[0][a].size(), &out);
      out.append(set.argv[0][a]);
    }
  }
  return out;
}

bool GetBytes(std::string_view* in, std::string* out) {
  uint64_t size = 0;
  if (!GetVarint(in, &size) || size > in->size()) return false;
  out->assign(in->data(), size);
  in->remove_prefix(size);
  return true;
}

class RedisClusterStore final : public OnlineStore {
 public:
  RedisClusterStore(std::unique_ptr<RedisCluster> cluster, std::string spec,
                    const std::string& project)
      : cluster_(std::move(cluster)), spec_(std::move(spec)), ns_(Namespace(project)) {}

  Status Write(const std::string& view, const std::vector<std::string>& keys,
               const std::vector<std::string>& values) override {
    std::vector<RedisCommand> sets;
    for (size_t i = 0; i < keys.size(); ++i) {
      sets.push_back(Set(RowKey(ns_, view, keys[i]), values[i]));
      if (sets.size() == kChunk) FST_RETURN_NOT_OK(RunChunk(&sets));
    }
    return RunChunk(&sets);
  }

  // Redis Cluster has no transaction across slots. The rows and the record are first written
  // as one journal value in the record's slot, then the rows, then the record together with
  // the journal's removal (MULTI/EXEC in that slot). A crash between leaves the journal, which
  // the next ReadRecord or WriteWithRecord of `name` applies again first: rows and record end
  // up both written or neither, as far as a reader of the record can tell.
  Status WriteWithRecord(const std::vector<ViewRows>& rows, const std::string& name,
                         const std::string& record) override {
    FST_RETURN_NOT_OK(Recover(name).status());
    std::vector<RedisCommand> sets;
    for (const auto& view : rows) {
      for (size_t i = 0; i < view.keys.size(); ++i) {
        sets.push_back(Set(RowKey(ns_, view.view, view.keys[i]), view.values[i]));
      }
    }
    return Commit(name, record, std::move(sets), !sets.empty());
  }

  Result<std::optional<std::string>> ReadRecord(const std::string& name) override {
    return Recover(name);
  }

  Result<std::vector<std::optional<std::string>>> Read(
      const std::string& view, const std::vector<std::string>& keys) override {
    std::vector<RedisCommand> gets;
    gets.reserve(keys.size());
    for (const auto& key : keys) {
      std::string row_key = RowKey(ns_, view, key);
      const int slot = KeySlot(row_key);
      gets.push_back(RedisCommand{slot, {{"GET", std::move(row_key)}}});
    }
    FST_ASSIGN_OR_RAISE(auto replies, cluster_->Run(gets, false));
    std::vector<std::optional<std::string>> out(keys.size());
    for (size_t i = 0; i < keys.size(); ++i) {
      if (replies[i].type == RedisReply::Type::kString) out[i] = std::move(replies[i].str);
    }
    return out;
  }

  // Every acknowledged write already reached a replica (WAIT); persistence to disk is the
  // cluster's configuration (appendonly, save).
  Status Flush() override { return Status::OK(); }

  Status DropView(const std::string& view) override {
    std::string pattern;
    std::string escaped = ns_;
    Escape(view, &escaped);
    for (const char c : escaped) {
      if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') pattern.push_back('\\');
      pattern.push_back(c);
    }
    pattern.append(1, '\0').append("{*");
    for (const auto& master : cluster_->Masters()) {
      std::string cursor = "0";
      do {
        FST_ASSIGN_OR_RAISE(auto reply, cluster_->RunOn(master, {"SCAN", cursor, "MATCH", pattern,
                                                                 "COUNT", "1000"}));
        if (reply.type != RedisReply::Type::kArray || reply.elements.size() != 2) {
          return Status::IOError("redis node ", master, ": SCAN: unexpected reply");
        }
        cursor = reply.elements[0].str;
        std::vector<RedisCommand> unlinks;
        for (auto& key : reply.elements[1].elements) {
          const int slot = KeySlot(key.str);
          unlinks.push_back(RedisCommand{slot, {{"UNLINK", std::move(key.str)}}});
        }
        if (!unlinks.empty()) FST_RETURN_NOT_OK(cluster_->Run(unlinks, true).status());
      } while (cursor != "0");
    }
    return Status::OK();
  }

 private:
  Status RunChunk(std::vector<RedisCommand>* sets) {
    if (sets->empty()) return Status::OK();
    FST_RETURN_NOT_OK(cluster_->Run(*sets, true).status());
    sets->clear();
    return Status::OK();
  }

  // Writes the journal (when `journal`), the rows, then the record with the journal's removal.
  Status Commit(const std::string& name, const std::string& record,
                std::vector<RedisCommand> sets, bool journal) {
    const std::string journal_key = RecordKey(ns_, "journal", name);
    const int slot = KeySlot(journal_key);
    if (journal) {
      FST_RETURN_NOT_OK(
          cluster_->Run({Set(journal_key, EncodeJournal(record, sets))}, true).status());
    }
    for (size_t begin = 0; begin < sets.size(); begin += kChunk) {
      std::vector<RedisCommand> chunk(
          std::make_move_iterator(sets.begin() + begin),
          std::make_move_iterator(sets.begin() + std::min(sets.size(), begin + kChunk)));
      FST_RETURN_NOT_OK(RunChunk(&chunk));
    }
    RedisCommand commit{slot, {{"SET", RecordKey(ns_, "record", name), record}, {"DEL", journal_key}}};
    return cluster_->Run({std::move(commit)}, true).status();
  }

  // The record `name`, after applying a journal a crashed write left.
  Result<std::optional<std::string>> Recover(const std::string& name) {
    const std::string journal_key = RecordKey(ns_, "journal", name);
    const int slot = KeySlot(journal_key);
    FST_ASSIGN_OR_RAISE(auto replies,
                        cluster_->Run({RedisCommand{slot, {{"GET", journal_key}}},
                                       RedisCommand{slot, {{"GET", RecordKey(ns_, "record", name)}}}},
                                      false));
    if (replies[0].type != RedisReply::Type::kString) {
      if (replies[1].type != RedisReply::Type::kString) return std::optional<std::string>();
      return std::optional<std::string>(std::move(replies[1].str));
    }
    std::string_view in = replies[0].str;
    std::string record;
    std::vector<RedisCommand> sets;
    bool ok = GetBytes(&in, &record);
    while (ok && !in.empty()) {
      std::string key, value;
      ok = GetBytes(&in, &key) && GetBytes(&in, &value);
      if (ok) sets.push_back(Set(std::move(key), std::move(value)));
    }
    if (!ok) {
      return Status::IOError("online store ", spec_, ": the journal of record '", name,
                             "' is truncated");
    }
    FST_RETURN_NOT_OK(Commit(name, record, std::move(sets), false));
    return std::optional<std::string>(std::move(record));
  }

  std::unique_ptr<RedisCluster> cluster_;
  std::string spec_;
  std::string ns_;  // Namespace(project)
};

}  // namespace

Result<std::unique_ptr<OnlineStore>> OpenRedisClusterStore(const std::string& spec,
                                                           const std::string& project) {
  constexpr std::string_view kScheme = "redis://";
  std::vector<std::string> seeds;
  std::string_view rest = std::string_view(spec).substr(kScheme.size());
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    const std::string_view seed = rest.substr(0, comma);
    if (seed.find(':') == std::string_view::npos || seed.back() == ':') {
      return Status::Invalid("online_store '", spec, "': '", seed,
                             "' is not host:port (expected redis://host:port[,host:port...])");
    }
    seeds.emplace_back(seed);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  if (seeds.empty()) {
    return Status::Invalid("online_store '", spec,
                           "': no seed node (expected redis://host:port[,host:port...])");
  }
  auto cluster = RedisCluster::Connect(std::move(seeds));
  if (!cluster.ok()) {
    return Status::IOError("online store ", spec, ": ", cluster.status().message());
  }
  return std::unique_ptr<OnlineStore>(new RedisClusterStore(std::move(*cluster), spec, project));
}

}  // namespace fst::online
