// `featherstone historical (--entities FILE | --spine TEXT | --spine-source SRC)
//   (--features V:F,... | --service NAME) --out FILE [--memory-limit SIZE]
//   [--engine spark [--master M]]`
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "command.h"
#include "featherstone/connectors/table_writer.h"
#include "featherstone/core/file_system.h"
#include "featherstone/retrieval/historical.h"
#include "featherstone/retrieval/spine.h"

namespace fst::cli {
namespace {

struct Options {
  std::string entities;
  std::string spine;
  std::string spine_source;
  std::string spine_at;
  int64_t chunk_rows = 1 << 20;
  std::string features;
  std::string service;
  std::string out;
  std::string engine = "local";
  std::string master = "local[2]";
  int partitions = 0;  // 0: the Spark engine's default
  std::string memory_limit;  // as written; parsed into historical.memory_limit
  retrieval::HistoricalOptions historical;
};

extern "C" char** environ;

// Runs `argv` with this process's stdout and stderr; its exit status (128 + N for signal N).
Result<int> RunChild(const std::vector<std::string>& argv, bool quiet) {
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (quiet) {
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  }
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return 127;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return Status::IOError("waiting for ", argv[0], ": ", std::strerror(errno));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The Python the Spark engine runs on: $FST_PYTHON, else the python3 beside this executable
// (a virtual environment's bin/, where `pip install .` puts it), else python3 on PATH.
std::string SparkPython() {
  if (const char* env = std::getenv("FST_PYTHON"); env != nullptr && *env != '\0') return env;
  std::error_code error;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", error);
  if (!error) {
    const auto beside = self.parent_path() / "python3";
    if (::access(beside.c_str(), X_OK) == 0) return beside.string();
  }
  return "python3";
}

// The entity file's training set computed by Spark: the SDK's Spark driver
// (python/featherstone/spark_engine.py) in a child process, which writes `o.out`.
Status RunSpark(const Globals& globals, const Options& o) {
  const std::string python = SparkPython();
  FST_ASSIGN_OR_RAISE(int probe,
                      RunChild({python, "-c", "import featherstone.spark_engine"}, true));
  if (probe != 0) {
    return Status::Invalid("--engine spark runs the Python SDK, and ", python,
                           " cannot import it (featherstone.spark_engine): `pip install .` it "
                           "into that Python, or set FST_PYTHON to a Python that has it");
  }
  std::vector<std::string> argv = {python, "-m", "featherstone.spark_engine",
                                   "--repo", globals.repo, "--entities", o.entities,
                                   "--timestamp-column", o.historical.timestamp_column,
                                   "--master", o.master, "--out", o.out};
  if (!o.features.empty()) argv.insert(argv.end(), {"--features", o.features});
  if (!o.service.empty()) argv.insert(argv.end(), {"--service", o.service});
  if (o.historical.full_feature_names) argv.push_back("--full-feature-names");
  if (o.partitions > 0) argv.insert(argv.end(), {"--partitions", std::to_string(o.partitions)});
  FST_ASSIGN_OR_RAISE(int status, RunChild(argv, false));
  if (status != 0) {
    return Status::Invalid("the Spark engine (", python, " -m featherstone.spark_engine) "
                           "failed with exit status ", status);
  }
  return Status::OK();
}

// A generated spine, computed and written a chunk at a time.
Status RunSpine(repo::RepoContext& repo, const std::vector<definitions::FeatureRef>& refs,
                const Options& o) {
  retrieval::Spine spine;
  if (!o.spine.empty()) {
    FST_ASSIGN_OR_RAISE(spine, retrieval::ParseSpine(o.spine));
  } else {
    spine.source = o.spine_source;
    spine.at_column = o.spine_at;
  }
  FST_ASSIGN_OR_RAISE(auto reader,
                      retrieval::OpenSpine(repo, spine, refs, o.historical, o.chunk_rows));
  FST_ASSIGN_OR_RAISE(auto writer, connectors::TableFileWriter::Open(*core::LocalFs(), o.out));
  const bool tty = ::isatty(STDERR_FILENO) != 0;
  int64_t done = 0;
  auto next = [&]() { return reader->Next(); };
  auto sink = [&](const std::shared_ptr<arrow::Table>& chunk) -> Status {
    FST_RETURN_NOT_OK(writer->Write(*chunk));
    done += chunk->num_rows();
    if (tty) {
      std::fprintf(stderr, "\rhistorical: %lld of %lld spine rows", static_cast<long long>(done),
                   static_cast<long long>(reader->total_rows()));
    }
    return Status::OK();
  };
  auto rows = retrieval::GetHistoricalFeaturesChunked(repo, next, refs, o.historical, sink);
  if (tty) std::fprintf(stderr, "\r\033[K");
  FST_RETURN_NOT_OK(rows.status());
  FST_RETURN_NOT_OK(writer->Finish());
  std::cout << "wrote " << *rows << " rows to " << o.out << "\n";
  if (reader->skipped_rows() > 0) {
    std::cout << "left out " << reader->skipped_rows() << " rows of source '" << o.spine_source
              << "' whose time is null\n";
  }
  return Status::OK();
}

Status Run(const Globals& globals, const Options& o) {
  FST_ASSIGN_OR_RAISE(auto repo, OpenRepo(globals));
  FST_ASSIGN_OR_RAISE(const definitions::Repo* applied, repo->Applied());
  FST_ASSIGN_OR_RAISE(auto refs, retrieval::ResolveFeatures(*applied, o.features, o.service));
  if (o.engine == "spark") {
    repo.reset();  // the Spark driver opens the repo itself
    return RunSpark(globals, o);
  }
  if (o.entities.empty()) return RunSpine(*repo, refs, o);
  FST_ASSIGN_OR_RAISE(auto writer, connectors::TableFileWriter::Open(*core::LocalFs(), o.out));
  auto sink = [&](const std::shared_ptr<arrow::Table>& chunk) { return writer->Write(*chunk); };
  FST_ASSIGN_OR_RAISE(auto rows, retrieval::GetHistoricalFeaturesFromFile(*repo, o.entities, refs,
                                                                          o.historical, sink));
  FST_RETURN_NOT_OK(writer->Finish());
  std::cout << "wrote " << rows << " rows to " << o.out << "\n";
  return Status::OK();
}

}  // namespace

void AddHistoricalCommand(CLI::App& app, Globals& globals, Action* action) {
  auto* cmd = app.add_subcommand(
      "historical",
      "Build a training set: for each entity row (join keys + timestamp), the feature values "
      "as they were at that time (point-in-time correct, ttl applied). One output row per "
      "entity row, in input order, with the entity file's columns kept. On-demand features "
      "take their request fields from the entity file's columns of the same names.\n"
      "Example: featherstone -C shop historical --entities data/spine.csv --service churn_model "
      "--out train.parquet\n"
      "Example: featherstone -C shop historical --entities data/transactions.csv "
      "--features transaction_features:amount_vs_average --out train.parquet   "
      "(data/transactions.csv: customer_id,event_timestamp,amount)\n"
      "Without an entity file, a spine is generated and computed a chunk at a time (any size "
      "in bounded memory):\n"
      "Example: featherstone -C shop historical --spine \"every 1d from 2026-01-01 to "
      "2026-03-31 for all customer\" --service churn_model --out train.parquet   (every "
      "customer in the data of the service's customer views, every day; from/to default to the "
      "data's time range)\n"
      "Example: featherstone -C shop historical --spine-source orders --spine-at event_ts "
      "--service churn_model --out train.parquet   (one row per stored order, at its time)\n"
      "With --engine spark the same training set is computed by Spark jobs (pyspark and Java "
      "17; docs/scaling.md), entity rows and the sources' rows partitioned by join key:\n"
      "Example: featherstone -C shop historical --entities data/spine.csv --service churn_model "
      "--out train.parquet --engine spark --master local[2]");
  auto o = std::make_shared<Options>();
  auto* entities =
      cmd->add_option("--entities", o->entities, "Entity rows (.csv, .parquet, .jsonl)");
  auto* spine = cmd->add_option(
      "--spine", o->spine, "Generated entity rows: \"every STEP [from T1] [to T2] for all ENTITY\"");
  auto* spine_source = cmd->add_option(
      "--spine-source", o->spine_source, "Entity rows from a source's stored rows (keys and time)");
  cmd->add_option("--spine-at", o->spine_at,
                  "With --spine-source: its timestamp column the rows are taken at (default: the "
                  "source's timestamp field)")
      ->needs(spine_source);
  auto* chunk_rows = cmd->add_option("--chunk-rows", o->chunk_rows,
                  "With a spine: entity rows computed per pass (memory vs passes over the data; "
                  "default 1048576)")
      ->check(CLI::PositiveNumber);
  entities->excludes(spine)->excludes(spine_source)->excludes(chunk_rows);
  spine->excludes(spine_source);
  auto* features = cmd->add_option("--features", o->features, "view:feature,...");
  auto* service = cmd->add_option("--service", o->service, "Feature service name");
  features->excludes(service);
  cmd->add_option("--out", o->out, "Output file (.csv, .parquet, .jsonl)")->required();
  cmd->add_option("--timestamp-column", o->historical.timestamp_column,
                  "Entity timestamp column (default: event_timestamp)");
  cmd->add_flag("--full-feature-names", o->historical.full_feature_names,
                "Name columns view__feature");
  auto* memory_limit = cmd->add_option(
      "--memory-limit", o->memory_limit,
      "Memory the computation holds at once, estimated: entity rows in chunks, windowed "
      "aggregations by key ranges (SIZE: 512MB, 2GB, ...; 0 or none: no limit; default 2GB)");
  cmd->add_option("--engine", o->engine,
                                 "local (default) or spark: Spark jobs through the Python SDK "
                                 "($FST_PYTHON, else the python3 beside this command)")
      ->check(CLI::IsMember({"local", "spark"}));
  auto* master = cmd->add_option("--master", o->master,
                                 "With --engine spark: the Spark master (default local[2])");
  auto* partitions = cmd->add_option("--partitions", o->partitions,
                                     "With --engine spark: partitions of the join (default: "
                                     "twice Spark's parallelism)")
                         ->check(CLI::PositiveNumber);
  cmd->callback([&globals, action, o, features, service, entities, spine, spine_source, master,
                 partitions, memory_limit] {
    if (features->count() == 0 && service->count() == 0) {
      throw CLI::RequiredError("--features or --service");
    }
    if (entities->count() + spine->count() + spine_source->count() == 0) {
      throw CLI::RequiredError("--entities, --spine or --spine-source");
    }
    if (o->engine != "spark" && master->count() + partitions->count() > 0) {
      throw CLI::ValidationError("--master and --partitions", "need --engine spark");
    }
    if (o->engine == "spark" && entities->count() == 0) {
      throw CLI::ValidationError("--engine spark", "needs --entities (not a spine)");
    }
    if (memory_limit->count() > 0) {
      if (o->engine == "spark") {
        throw CLI::ValidationError("--memory-limit",
                                   "applies to the local engine; Spark manages its own memory");
      }
      auto limit = retrieval::ParseMemoryLimit(o->memory_limit);
      if (!limit.ok()) throw CLI::ValidationError("--memory-limit", limit.status().message());
      o->historical.memory_limit = *limit;
    }
    *action = [&globals, o] { return Run(globals, *o); };
  });
}

}  // namespace fst::cli
