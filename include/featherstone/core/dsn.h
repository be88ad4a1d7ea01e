// PostgreSQL connection strings (libpq URIs or keyword=value strings) in messages: what
// every error naming a server shows instead of the string, so that no message carries the
// password.
#pragma once

#include <string>

namespace fst::core {

// The password `dsn` holds (empty when none, or when the string does not parse).
std::string DsnPassword(const std::string& dsn);

// `dsn` with its password replaced by "***" (the URI's user:password and a password=
// parameter), e.g. "postgresql://fst:***@127.0.0.1:5432/shop".
std::string RedactedDsn(const std::string& dsn);

// `message` without trailing newlines and with every occurrence of `password` replaced by
// "***" (libpq may echo parts of the connection string).
std::string WithoutPassword(std::string message, const std::string& password);

}  // namespace fst::core
