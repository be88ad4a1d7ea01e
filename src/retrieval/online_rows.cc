// ReadStoredRows (online_values.h): requested features computed entity by entity from the
// stored rows, without Arrow builders for the latest values nor kernel calls: latest values
// decoded into scalars, aggregations from the tiles of the row (online::TiledEvents) where
// they keep what the function needs, else by transform::AggregateOne over the entity's stored
// events, expressions by transform::RowExpression. Same values as training sets
// (consistency_test.cc).
#include <algorithm>
#include <bit>
#include <functional>
#include <string_view>

#include "featherstone/core/time.h"
#include "featherstone/features/plan_cache.h"
#include "featherstone/online/key_codec.h"
#include "featherstone/online/row_codec.h"
#include "featherstone/online/tile_codec.h"
#include "online_values.h"

namespace fst::retrieval {
namespace {

using features::OnlineViewPlan;
using features::ValueKind;
using features::ValueRef;
using features::ViewPlan;

Status CheckEntityKeys(const std::vector<EntityKeyText>& entities,
                       const std::vector<std::string>& join_keys) {
  for (size_t e = 0; e < entities.size(); ++e) {
    for (const auto& [key, value] : entities[e]) {
      if (std::find(join_keys.begin(), join_keys.end(), key) == join_keys.end()) {
        return Status::Invalid("entity ", e + 1, ": '", key,
                               "' is not a join key of the requested views (join keys: ",
                               features::JoinNames(join_keys), ")");
      }
    }
  }
  return Status::OK();
}

// The text of join key `name` in `entity`, or nullptr.
const std::string* KeyText(const EntityKeyText& entity, const std::string& name) {
  for (const auto& [key, value] : entity) {
    if (key == name) return &value;
  }
  return nullptr;
}

OnlineValue TypedKey(const std::string& text, core::ValueType type) {
  if (type == core::ValueType::kInt64 || type == core::ValueType::kInt32) {
    return int64_t{std::stoll(text)};  // validated by EncodeKeyText
  }
  return text;
}

transform::RowValue ToRowValue(const online::Value& value) {
  return std::visit(
      [](const auto& v) -> transform::RowValue {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          return std::monostate{};  // lists of strings never reach expressions (type-checked)
        } else {
          return v;
        }
      },
      value);
}

online::Value ToValue(const transform::RowValue& value) {
  return std::visit([](const auto& v) -> online::Value { return v; }, value);
}

// Column names to positions in a vector of names, by open addressing: no allocation per name.
class ColumnIndex {
 public:
  static constexpr size_t kEmpty = static_cast<size_t>(-1);
  // Room for about `expected` names before probes grow long (still correct beyond).
  explicit ColumnIndex(size_t expected) : slots_(std::bit_ceil(2 * expected + 1), kEmpty) {}

  // The slot of `name`: its position in `names`, or kEmpty where the caller stores the position
  // it appends `name` at (an empty slot returned is counted as used).
  size_t* Find(std::string_view name, const std::vector<std::string>& names) {
    if (used_ * 2 >= slots_.size()) Grow(names);
    const size_t mask = slots_.size() - 1;
    for (size_t i = std::hash<std::string_view>()(name) & mask;; i = (i + 1) & mask) {
      if (slots_[i] == kEmpty) {
        ++used_;
        return &slots_[i];
      }
      if (names[slots_[i]] == name) return &slots_[i];
    }
  }

 private:
  void Grow(const std::vector<std::string>& names) {
    slots_.assign(slots_.size() * 2, kEmpty);
    used_ = 0;
    for (size_t c = 0; c < names.size(); ++c) *Find(names[c], names) = c;
  }

  std::vector<size_t> slots_;
  size_t used_ = 0;
};

// Computes the requested features of one view entity by entity; holds the buffers reused from
// one entity to the next.
class EntityComputer {
 public:
  EntityComputer(const OnlineViewPlan& plan, online::RowDecoder events, int64_t at)
      : plan_(plan), events_(std::move(events)), at_(at) {}

  static Result<EntityComputer> Make(const OnlineViewPlan& plan, int64_t at) {
    FST_ASSIGN_OR_RAISE(auto events, online::RowDecoder::Make(plan.stored.agg_types));
    return EntityComputer(plan, std::move(events), at);
  }

  // The requested features (in request order) from the entity's stored row (nullopt: none),
  // with their statuses and the row's event time (0 when none).
  Status Compute(std::optional<std::string_view> row, std::vector<OnlineValue>* out,
                 std::vector<FeatureStatus>* statuses, int64_t* event_ts) {
    const ViewPlan& stored = plan_.stored;
    const ViewPlan& requested = plan_.requested;
    std::string_view in;
    bool fresh = false;
    int64_t ts = 0;
    if (row.has_value()) {
      in = *row;
      FST_RETURN_NOT_OK(online::DecodeRow(&in, stored.latest_types, &ts, &latest_));
      // Latest-row values older than the ttl at `at` read as null.
      fresh = core::WithinTtl(ts, at_, stored.view->ttl_us);
    }
    *event_ts = ts;
    if (!fresh) latest_.assign(stored.latest_types.size(), std::monostate{});
    if (!plan_.agg_requests.empty()) FST_RETURN_NOT_OK(Aggregate(row, &in));
    computed_.clear();
    for (size_t x = 0; x < plan_.expressions.size(); ++x) {
      inputs_.clear();
      for (const ValueRef& ref : plan_.expression_inputs[x]) inputs_.push_back(RowValueOf(ref));
      computed_.push_back(plan_.expressions[x].Evaluate(inputs_, at_));
    }
    out->clear();
    statuses->clear();
    for (size_t f = 0; f < requested.outputs.size(); ++f) {
      const ValueRef& ref = requested.outputs[f];
      switch (ref.kind) {
        case ValueKind::kLatest:
          out->push_back(latest_[plan_.latest_index[ref.index]]);
          break;
        case ValueKind::kAggregation:
          out->push_back(AggregatedValue(ref.index));
          break;
        case ValueKind::kExpression:
          out->push_back(ToValue(computed_[ref.index]));
          break;
      }
      // Windowed aggregations are governed by their window, not the ttl (DESIGN section 3).
      const bool aged = !fresh && ref.kind != ValueKind::kAggregation &&
                        std::holds_alternative<std::monostate>(out->back());
      statuses->push_back(!row.has_value() ? FeatureStatus::kNotFound
                          : aged           ? FeatureStatus::kOutsideMaxAge
                                           : FeatureStatus::kPresent);
    }
    return Status::OK();
  }

 private:
  // Runs the requested aggregations at `at` over the events stored after the latest values
  // (none when the entity has no row): from the tiles those they answer, the others over the
  // decoded events.
  Status Aggregate(std::optional<std::string_view> row, std::string_view* in) {
    const std::vector<transform::AggRequest>& requests = plan_.agg_requests;
    const bool has_row = row.has_value();
    const bool tiled = has_row && online::EventsTiled(*row);
    uint64_t count = 0;
    std::string_view events_in;
    if (tiled) {
      FST_RETURN_NOT_OK(tiles_.Parse(in, plan_.stored.agg_types));
      count = tiles_.count();
      events_in = tiles_.events();
    } else if (has_row) {
      FST_ASSIGN_OR_RAISE(count, online::DecodeRowCount(in));
      events_in = *in;
    }
    from_tiles_.assign(requests.size(), 0);
    tiled_values_.resize(requests.size());
    raw_requests_.clear();
    raw_index_.assign(requests.size(), 0);
    for (size_t a = 0; a < requests.size(); ++a) {
      if (tiled && tiles_.Answers(requests[a])) {
        from_tiles_[a] = 1;
        FST_RETURN_NOT_OK(tiles_.Aggregate(requests[a], at_, &tiled_values_[a]));
      } else {
        raw_index_[a] = raw_requests_.size();
        raw_requests_.push_back(requests[a]);
      }
    }
    if (raw_requests_.empty()) return Status::OK();
    FST_RETURN_NOT_OK(events_.AppendRows(&events_in, count));
    FST_ASSIGN_OR_RAISE(event_columns_, events_.Finish(&event_ts_));
    const transform::Events events{event_ts_.data(), static_cast<int64_t>(count), event_columns_};
    FST_ASSIGN_OR_RAISE(aggregated_, transform::AggregateOne(events, at_, raw_requests_));
    return Status::OK();
  }

  const arrow::Array& EventColumn(size_t a) const {
    return *event_columns_[static_cast<size_t>(plan_.agg_requests[a].column)];
  }

  OnlineValue AggregatedValue(size_t a) const {
    if (from_tiles_[a]) return tiled_values_[a];
    const transform::AggValue& v = aggregated_[raw_index_[a]];
    switch (v.kind) {
      case transform::AggValue::Kind::kNull: return std::monostate{};
      case transform::AggValue::Kind::kInt: return v.int_value;
      case transform::AggValue::Kind::kFloat: return v.float_value;
      case transform::AggValue::Kind::kEvent: return ArrayValue(EventColumn(a), v.int_value);
      case transform::AggValue::Kind::kVector: return v.vector_value;
    }
    return std::monostate{};
  }

  transform::RowValue RowValueOf(const ValueRef& ref) const {
    switch (ref.kind) {
      case ValueKind::kLatest:
        return ToRowValue(latest_[plan_.latest_index[ref.index]]);
      case ValueKind::kAggregation: {
        if (from_tiles_[ref.index]) return ToRowValue(tiled_values_[ref.index]);
        const transform::AggValue& v = aggregated_[raw_index_[ref.index]];
        switch (v.kind) {
          case transform::AggValue::Kind::kNull: return std::monostate{};
          case transform::AggValue::Kind::kInt: return v.int_value;
          case transform::AggValue::Kind::kFloat: return v.float_value;
          case transform::AggValue::Kind::kEvent:
            return transform::RowValueAt(EventColumn(ref.index), v.int_value);
          case transform::AggValue::Kind::kVector:
            return v.vector_value;
        }
        return std::monostate{};
      }
      case ValueKind::kExpression:
        return computed_[ref.index];
    }
    return std::monostate{};
  }

  const OnlineViewPlan& plan_;
  online::RowDecoder events_;
  int64_t at_;
  std::vector<online::Value> latest_;  // by stored latest column
  std::vector<int64_t> event_ts_;
  std::vector<std::shared_ptr<arrow::Array>> event_columns_;
  online::TiledEvents tiles_;
  std::vector<uint8_t> from_tiles_;           // by requested aggregation: answered by tiles_
  std::vector<online::Value> tiled_values_;   // ... and its value
  std::vector<transform::AggRequest> raw_requests_;  // the others, over the decoded events
  std::vector<size_t> raw_index_;                    // ... each one's place there
  std::vector<transform::AggValue> aggregated_;      // by raw request
  std::vector<transform::RowValue> inputs_;
  std::vector<transform::RowValue> computed_;  // by requested expression
};

}  // namespace

Result<OnlineRows> ReadStoredRows(repo::RepoContext& repo,
                                 const std::vector<definitions::FeatureRef>& refs,
                                 const std::vector<EntityKeyText>& entities, int64_t at,
                                 bool full_feature_names) {
  FST_ASSIGN_OR_RAISE(const definitions::Repo* applied, repo.Applied());
  FST_ASSIGN_OR_RAISE(online::OnlineStore * store, repo.Online());
  OnlineRows out;
  out.rows.resize(entities.size());
  out.statuses.resize(entities.size());
  out.event_ts.resize(entities.size());
  // The column named `name`, added (null in every row) on first use; found by a hash of the
  // name, as a service may name hundreds of features.
  ColumnIndex index(refs.size() + 8);
  auto column = [&](const std::string& name, core::ValueType type) {
    size_t* slot = index.Find(name, out.columns);
    if (*slot != ColumnIndex::kEmpty) return *slot;
    *slot = out.columns.size();
    out.columns.push_back(name);
    out.types.push_back(type);
    for (auto& row : out.rows) row.emplace_back();
    for (auto& row : out.statuses) row.push_back(FeatureStatus::kPresent);
    for (auto& row : out.event_ts) row.push_back(0);
    return out.columns.size() - 1;
  };

  // Views in order of first mention, each read once for all entities.
  std::vector<std::string> views;
  for (const auto& ref : refs) {
    if (applied->FindOnDemandView(ref.view) != nullptr) {
      return Status::Invalid("'", ref.view, ":", ref.feature,
                             "' is an on-demand feature; it needs request values");
    }
    if (std::find(views.begin(), views.end(), ref.view) == views.end()) views.push_back(ref.view);
  }
  // The join keys of every view come first, in order of first mention.
  std::vector<const OnlineViewPlan*> plans;
  std::vector<std::string> all_keys;
  std::vector<std::string> features;
  for (const auto& view_name : views) {
    features.clear();
    for (const auto& ref : refs) {
      if (ref.view == view_name) features.push_back(ref.feature);
    }
    FST_ASSIGN_OR_RAISE(const OnlineViewPlan* plan,
                        repo.plans().Online(*applied, view_name, features));
    plans.push_back(plan);
    for (size_t k = 0; k < plan->stored.join_keys.size(); ++k) {
      const std::string& key = plan->stored.join_keys[k];
      if (std::find(all_keys.begin(), all_keys.end(), key) != all_keys.end()) continue;
      all_keys.push_back(key);
      column(key, plan->stored.key_types[k]);
    }
  }
  out.key_columns = all_keys.size();

  std::vector<std::string> encoded(entities.size());
  std::vector<std::string> texts;
  std::vector<OnlineValue> values;
  std::vector<FeatureStatus> statuses;
  for (size_t v = 0; v < views.size(); ++v) {
    const std::string& view_name = views[v];
    const OnlineViewPlan* plan = plans[v];
    const ViewPlan& stored = plan->stored;
    std::vector<size_t> key_columns;
    for (size_t k = 0; k < stored.join_keys.size(); ++k) {
      key_columns.push_back(column(stored.join_keys[k], stored.key_types[k]));
    }
    for (size_t e = 0; e < entities.size(); ++e) {
      texts.clear();
      for (size_t k = 0; k < stored.join_keys.size(); ++k) {
        const std::string* text = KeyText(entities[e], stored.join_keys[k]);
        if (text == nullptr) {
          return Status::Invalid("entity ", e + 1, " lacks join key '", stored.join_keys[k],
                                 "' of feature view '", view_name, "'");
        }
        texts.push_back(*text);
      }
      FST_ASSIGN_OR_RAISE(encoded[e],
                          online::EncodeKeyText(stored.join_keys, stored.key_types, texts));
      for (size_t k = 0; k < stored.join_keys.size(); ++k) {
        out.rows[e][key_columns[k]] = TypedKey(texts[k], stored.key_types[k]);
      }
    }
    std::vector<size_t> feature_columns;
    for (size_t f = 0; f < plan->requested.features.size(); ++f) {
      const std::string& feature = plan->requested.features[f];
      feature_columns.push_back(column(full_feature_names ? view_name + "__" + feature : feature,
                                       plan->requested.output_types[f]));
    }
    FST_ASSIGN_OR_RAISE(auto computer, EntityComputer::Make(*plan, at));
    int64_t event_ts = 0;
    FST_RETURN_NOT_OK(store->ReadEach(
        view_name, encoded, [&](size_t e, std::optional<std::string_view> row) {
          FST_RETURN_NOT_OK(computer.Compute(row, &values, &statuses, &event_ts));
          for (size_t f = 0; f < values.size(); ++f) {
            out.rows[e][feature_columns[f]] = std::move(values[f]);
            out.statuses[e][feature_columns[f]] = statuses[f];
            out.event_ts[e][feature_columns[f]] = event_ts;
          }
          return Status::OK();
        }));
  }
  FST_RETURN_NOT_OK(CheckEntityKeys(entities, all_keys));
  return out;
}

}  // namespace fst::retrieval
