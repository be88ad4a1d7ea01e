// PostgreSQL through libpq: `COPY (SELECT ...) TO STDOUT` in text format, one row per
// PQgetCopyData, decoded into text (bytes: binary) columns of at most ReadOptions::batch_rows
// rows, which OpenReader coerces to the schema exactly as it coerces a file's text.
//
// Text, not binary, COPY: every value then reaches the schema through the one conversion
// path of the file connectors (so an int column read as float64, a text column holding 'abc'
// for an int64, a timestamp without zone, ... behave as in a CSV file, with the same
// messages), and no per-type binary decoder (numeric, date, interval, arrays, ...) is needed.
// The server formats the values; the session is set to UTC, ISO dates and exact floats.
#include "featherstone/connectors/postgres.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include <arrow/builder.h>
#include <arrow/record_batch.h>
#include <libpq-fe.h>

#include "connector_internal.h"
#include "featherstone/core/dsn.h"

namespace fst::connectors {
namespace {

std::string Text(const char* value) { return value == nullptr ? std::string() : value; }

std::string Identifier(PGconn* conn, const std::string& name) {
  char* quoted = PQescapeIdentifier(conn, name.c_str(), name.size());
  std::string out = quoted == nullptr ? name : quoted;
  if (quoted != nullptr) PQfreemem(quoted);
  return out;
}

// Decodes one field of COPY's text format into `out`: backslash escapes (\b \f \n \r \t \v,
// octal \ooo, hex \xhh, any other character itself).
void Unescape(std::string_view field, std::string* out) {
  out->clear();
  for (size_t i = 0; i < field.size(); ++i) {
    const char c = field[i];
    if (c != '\\' || i + 1 == field.size()) {
      out->push_back(c);
      continue;
    }
    const char e = field[++i];
    auto hex = [](char h) {
      return h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10
                                          : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
    };
    switch (e) {
      case 'b': out->push_back('\b'); break;
      case 'f': out->push_back('\f'); break;
      case 'n': out->push_back('\n'); break;
      case 'r': out->push_back('\r'); break;
      case 't': out->push_back('\t'); break;
      case 'v': out->push_back('\v'); break;
      case 'x': {
        int value = 0;
        int digits = 0;
        while (digits < 2 && i + 1 < field.size() && hex(field[i + 1]) >= 0) {
          value = value * 16 + hex(field[++i]);
          ++digits;
        }
        out->push_back(digits == 0 ? 'x' : static_cast<char>(value));
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          int value = e - '0';
          for (int d = 1; d < 3 && i + 1 < field.size() && field[i + 1] >= '0' &&
                          field[i + 1] <= '7';
               ++d) {
            value = value * 8 + (field[++i] - '0');
          }
          out->push_back(static_cast<char>(value));
        } else {
          out->push_back(e);
        }
    }
  }
}

// bytea's text form "\x0a0b..." as its bytes; false when it is not that form.
bool DecodeBytea(std::string_view text, std::string* out) {
  if (text.size() < 2 || text[0] != '\\' || text[1] != 'x' || text.size() % 2 != 0) return false;
  out->clear();
  for (size_t i = 2; i < text.size(); i += 2) {
    auto hex = [](char h) {
      return h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : -1;
    };
    const int hi = hex(text[i]);
    const int lo = hex(text[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
  }
  return true;
}

// The rows of a running COPY as batches of text columns named as the schema's.
class CopyReader : public arrow::RecordBatchReader {
 public:
  CopyReader(PGconn* conn, const core::Schema& schema, int cursor_index, int64_t batch_rows,
             std::string password)
      : conn_(conn),
        schema_(schema),
        cursor_index_(cursor_index),
        batch_rows_(batch_rows < 1 ? 1 : batch_rows),
        password_(std::move(password)) {
    arrow::FieldVector fields;
    for (const auto& spec : schema_) {
      fields.push_back(arrow::field(
          spec.name, spec.type == core::ValueType::kBytes ? arrow::binary() : arrow::utf8()));
    }
    arrow_schema_ = arrow::schema(std::move(fields));
  }

  std::shared_ptr<arrow::Schema> schema() const override { return arrow_schema_; }

  Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    *out = nullptr;
    if (done_) return Status::OK();
    std::vector<std::unique_ptr<arrow::ArrayBuilder>> builders;
    for (const auto& field : arrow_schema_->fields()) {
      if (field->type()->id() == arrow::Type::BINARY) {
        builders.push_back(std::make_unique<arrow::BinaryBuilder>());
      } else {
        builders.push_back(std::make_unique<arrow::StringBuilder>());
      }
    }
    int64_t rows = 0;
    while (rows < batch_rows_) {
      char* line = nullptr;
      const int n = PQgetCopyData(conn_, &line, 0);
      if (n == -1) {
        done_ = true;
        FST_RETURN_NOT_OK(FinishCopy());
        break;
      }
      if (n < 0) {
        return Status::IOError("PostgreSQL: ",
                               core::WithoutPassword(PQerrorMessage(conn_), password_));
      }
      Status status = AddRow(std::string_view(line, static_cast<size_t>(n)), builders);
      PQfreemem(line);
      FST_RETURN_NOT_OK(status);
      ++rows;
      ++row_number_;
    }
    if (rows == 0) return Status::OK();
    arrow::ArrayVector columns;
    for (auto& builder : builders) {
      FST_ASSIGN_OR_RAISE(auto column, builder->Finish());
      columns.push_back(std::move(column));
    }
    if (cursor_index_ >= 0) {
      const auto& cursor = *columns[static_cast<size_t>(cursor_index_)];
      last_cursor_ = cursor.type_id() == arrow::Type::BINARY
                         ? static_cast<const arrow::BinaryArray&>(cursor).GetString(rows - 1)
                         : static_cast<const arrow::StringArray&>(cursor).GetString(rows - 1);
    }
    *out = arrow::RecordBatch::Make(arrow_schema_, rows, std::move(columns));
    return Status::OK();
  }

  const std::optional<std::string>& last_cursor() const { return last_cursor_; }

 private:
  // The statement's outcome once the rows ended.
  Status FinishCopy() {
    Status status;
    while (PGresult* result = PQgetResult(conn_)) {
      if (PQresultStatus(result) != PGRES_COMMAND_OK && status.ok()) {
        status = Status::Invalid(
            "PostgreSQL: ", core::WithoutPassword(Text(PQresultErrorMessage(result)), password_));
      }
      PQclear(result);
    }
    return status;
  }

  Status AddRow(std::string_view line,
                std::vector<std::unique_ptr<arrow::ArrayBuilder>>& builders) {
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    size_t start = 0;
    for (size_t i = 0; i < builders.size(); ++i) {
      const size_t tab = line.find('\t', start);
      const bool last = i + 1 == builders.size();
      if (last != (tab == std::string_view::npos)) {
        return Status::Invalid("row ", row_number_ + 1, ": the database sent a row of ",
                               std::count(line.begin(), line.end(), '\t') + 1,
                               " fields; expected ", builders.size());
      }
      std::string_view field = line.substr(start, last ? std::string_view::npos : tab - start);
      start = tab + 1;
      auto& builder = static_cast<arrow::BaseBinaryBuilder<arrow::BinaryType>&>(*builders[i]);
      if (field == "\\N") {
        FST_RETURN_NOT_OK(builders[i]->AppendNull());
        continue;
      }
      if (field.find('\\') != std::string_view::npos) {
        Unescape(field, &scratch_);
        field = scratch_;
      }
      const core::ValueType type = schema_[i].type;
      if (type == core::ValueType::kBool && (field == "t" || field == "f")) {
        field = field == "t" ? "true" : "false";  // the server's spelling of booleans
      } else if (type == core::ValueType::kBytes && DecodeBytea(field, &bytes_)) {
        field = bytes_;
      }
      FST_RETURN_NOT_OK(builder.Append(field));
    }
    return Status::OK();
  }

  PGconn* conn_;
  core::Schema schema_;
  int cursor_index_;
  int64_t batch_rows_;
  std::string password_;
  std::shared_ptr<arrow::Schema> arrow_schema_;
  std::string scratch_;
  std::string bytes_;
  int64_t row_number_ = 0;
  bool done_ = false;
  std::optional<std::string> last_cursor_;
};

class Postgres : public PostgresConnector {
 public:
  Postgres(core::Schema schema, std::string what)
      : schema_(std::move(schema)), what_(std::move(what)) {}
  ~Postgres() override {
    coerced_.reset();
    if (conn_ != nullptr) PQfinish(conn_);
  }

  Status Open(const PostgresRead& read, const ReadOptions& options) {
    const std::string password = core::DsnPassword(read.dsn);
    conn_ = PQconnectdb(read.dsn.c_str());
    if (conn_ == nullptr) return Status::OutOfMemory(what_, ": cannot allocate a connection");
    server_ = PostgresServer{Text(PQhost(conn_)), Text(PQport(conn_)), Text(PQdb(conn_)),
                             Text(PQuser(conn_))};
    if (PQstatus(conn_) != CONNECTION_OK) {
      return Status::IOError(what_, ": cannot connect to PostgreSQL (", server_.ToString(),
                             "): ", core::WithoutPassword(PQerrorMessage(conn_), password));
    }
    FST_RETURN_NOT_OK(Exec("SET client_encoding TO 'UTF8'; SET DateStyle TO 'ISO'; "
                           "SET TimeZone TO 'UTC'; SET extra_float_digits TO 3",
                           PGRES_COMMAND_OK, password));

    std::string inner = read.query;
    while (!inner.empty() && (inner.back() == ';' || std::isspace(static_cast<unsigned char>(
                                                          inner.back())))) {
      inner.pop_back();
    }
    const std::string from = read.table.empty() ? "(" + inner + ") AS fst_source"
                                                : read.table + " AS fst_source";
    FST_ASSIGN_OR_RAISE(PGresult * probe,
                        Exec("SELECT * FROM " + from + " LIMIT 0", PGRES_TUPLES_OK, password));
    std::vector<std::string> names;
    for (int i = 0; i < PQnfields(probe); ++i) names.push_back(PQfname(probe, i));
    PQclear(probe);
    std::string select;
    int cursor_index = -1;
    for (size_t i = 0; i < schema_.size(); ++i) {
      const core::ColumnSpec& spec = schema_[i];
      if (std::find(names.begin(), names.end(), spec.name) == names.end()) {
        return internal::MissingColumn(what_, spec, names,
                                       read.table.empty() ? "the query has" : "the table has");
      }
      if (!select.empty()) select += ", ";
      select += Identifier(conn_, spec.name);
      if (read.incremental && spec.name == read.cursor_column) cursor_index = static_cast<int>(i);
    }
    std::string copy = "COPY (SELECT " + select + " FROM " + from;
    if (read.incremental) {
      const std::string cursor = Identifier(conn_, read.cursor_column);
      copy += " WHERE " + cursor + " IS NOT NULL";
      if (read.after.has_value()) {
        char* literal = PQescapeLiteral(conn_, read.after->c_str(), read.after->size());
        if (literal == nullptr) {
          return Status::Invalid(what_, ": PostgreSQL: ", PQerrorMessage(conn_));
        }
        copy += " AND " + cursor + " > " + literal;
        PQfreemem(literal);
      }
      copy += " ORDER BY " + cursor;
    }
    copy += ") TO STDOUT";
    FST_ASSIGN_OR_RAISE(PGresult * started, Exec(copy, PGRES_COPY_OUT, password));
    PQclear(started);
    reader_ = std::make_shared<CopyReader>(conn_, schema_, cursor_index, options.batch_rows,
                                           password);
    FST_ASSIGN_OR_RAISE(coerced_, OpenReader(reader_, schema_, what_, options));
    return Status::OK();
  }

  Result<Batch> Next() override { return coerced_->Next(); }

  std::optional<std::string> last_cursor() const override { return reader_->last_cursor(); }

 private:
  // Runs `sql`; its result when it has status `expected` (the caller clears it), else the
  // server's message.
  Result<PGresult*> Exec(const std::string& sql, ExecStatusType expected,
                         const std::string& password) {
    PGresult* result = PQexec(conn_, sql.c_str());
    if (result != nullptr && PQresultStatus(result) == expected) return result;
    const std::string message = core::WithoutPassword(
        result != nullptr ? Text(PQresultErrorMessage(result)) : Text(PQerrorMessage(conn_)),
        password);
    PQclear(result);
    return Status::Invalid(what_, ": PostgreSQL: ", message);
  }

  core::Schema schema_;
  std::string what_;
  PGconn* conn_ = nullptr;
  std::shared_ptr<CopyReader> reader_;
  std::unique_ptr<Connector> coerced_;
};

}  // namespace

std::string PostgresServer::ToString() const {
  return "host " + host + ", port " + port + ", database " + database + ", user " + user;
}

Result<std::unique_ptr<PostgresConnector>> OpenPostgres(const PostgresRead& read,
                                                        const core::Schema& schema,
                                                        const std::string& what,
                                                        const ReadOptions& options) {
  auto connector = std::make_unique<Postgres>(schema, what);
  FST_RETURN_NOT_OK(connector->Open(read, options));
  return connector;
}

Result<std::string> ExpandEnvironment(const std::string& text, const std::string& what) {
  std::string out;
  size_t at = 0;
  for (size_t open = text.find("${"); open != std::string::npos; open = text.find("${", at)) {
    const size_t close = text.find('}', open + 2);
    if (close == std::string::npos) break;
    const std::string name = text.substr(open + 2, close - open - 2);
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) {
      return Status::Invalid(what, ": the environment variable ", name, " is not set");
    }
    out.append(text, at, open - at);
    out += value;
    at = close + 1;
  }
  out.append(text, at, std::string::npos);
  return out;
}

}  // namespace fst::connectors
