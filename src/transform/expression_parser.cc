// Lexer and recursive-descent parser of the expression language. Precedence, lowest first:
// or, and, not, comparison (not chained), + -, * / %, unary minus, call and atom.
#include <algorithm>
#include <charconv>
#include <set>
#include <utility>

#include "expression_internal.h"
#include "featherstone/core/closest_name.h"

namespace fst::transform::internal {
namespace {

// Bounds on parser recursion (parentheses, calls, unary operators) and on the height of the
// tree (which the evaluators walk recursively), so that no input can exhaust the stack.
constexpr int kMaxNesting = 64;
constexpr int kMaxHeight = 1024;

struct FunctionInfo {
  std::string_view name;
  Function function;
  int min_args;
  int max_args;  // -1: any number
};

constexpr FunctionInfo kFunctions[] = {
    {"if", Function::kIf, 3, 3},          {"coalesce", Function::kCoalesce, 1, -1},
    {"log", Function::kLog, 1, 1},        {"exp", Function::kExp, 1, 1},
    {"sqrt", Function::kSqrt, 1, 1},      {"abs", Function::kAbs, 1, 1},
    {"pow", Function::kPow, 2, 2},        {"min", Function::kMin, 2, -1},
    {"max", Function::kMax, 2, -1},       {"clamp", Function::kClamp, 3, 3},
    {"is_null", Function::kIsNull, 1, 1}, {"days_since", Function::kDaysSince, 1, 1},
    // Text functions
    {"length", Function::kLength, 1, 1},  {"lower", Function::kLower, 1, 1},
    {"upper", Function::kUpper, 1, 1},    {"contains", Function::kContains, 2, 2},
    {"regex_match", Function::kRegexMatch, 2, 2}, {"token_count", Function::kTokenCount, 1, 1},
    // Vector functions.
    {"dot", Function::kDot, 2, 2},        {"cosine", Function::kCosine, 2, 2},
    {"norm", Function::kNorm, 1, 1},
};

// regex_match's pattern, compiled once for every row the expression evaluates
// (text_pattern.h). Errors: Invalid "column N: ..." at the pattern when it is not a string
// literal or does not compile.
Result<std::shared_ptr<const TextPattern>> CompilePattern(const Node& pattern) {
  const std::string* text = std::get_if<std::string>(&pattern.literal);
  if (pattern.kind != NodeKind::kLiteral || text == nullptr) {
    return Status::Invalid("column ", pattern.column,
                           ": regex_match needs its pattern as a string literal, such as "
                           "regex_match(s, \"^[a-z]+$\")");
  }
  auto compiled = TextPattern::Compile(*text);
  if (!compiled.ok()) {
    return Status::Invalid("column ", pattern.column, ": invalid regular expression \"", *text,
                           "\" at ", compiled.status().message());
  }
  return compiled;
}

constexpr std::string_view kKeywords[] = {"and", "or", "not", "true", "false", "null"};

Status UnknownFunction(int column, std::string_view name) {
  std::string_view best;
  size_t best_distance = name.size() / 2 + 1;
  for (const FunctionInfo& f : kFunctions) {
    const size_t d = core::EditDistance(name, f.name);
    if (d < best_distance && d <= 2) {
      best = f.name;
      best_distance = d;
    }
  }
  std::string message =
      "column " + std::to_string(column) + ": unknown function '" + std::string(name) + "'";
  if (!best.empty()) return Status::Invalid(message, "; did you mean '", best, "'?");
  message += "; the functions are ";
  for (const FunctionInfo& f : kFunctions) {
    if (f.function != Function::kIf) message += ", ";
    message += f.name;
  }
  return Status::Invalid(message);
}

enum class Tok {
  kEnd,
  kNumber,
  kString,
  kName,  // also the keywords
  kLParen,
  kRParen,
  kComma,
  kOperator,
};

struct Token {
  Tok kind = Tok::kEnd;
  int column = 0;
  int end_column = 0;  // the column just after the token
  std::string text;    // source text; kString: the decoded value
  Literal number;      // kNumber: int64 or double
};

bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsNameChar(char c) { return IsNameStart(c) || IsDigit(c); }

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text), columns_(text.size() + 1) {
    // Columns count characters: a UTF-8 continuation byte shares its lead byte's column.
    int column = 0;
    for (size_t i = 0; i < text.size(); ++i) {
      if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++column;
      columns_[i] = column;
    }
    columns_[text.size()] = column + 1;
  }

  // The next token. Errors: Invalid "column N: ..." for a character that starts no token, an
  // unterminated string, an unknown escape or a number out of range.
  Result<Token> Next() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
    Token tok;
    const size_t start = pos_;
    tok.column = columns_[start];
    if (pos_ == text_.size()) {
      tok.end_column = tok.column;
      return tok;
    }
    const char c = text_[pos_];
    if (IsDigit(c) || (c == '.' && pos_ + 1 < text_.size() && IsDigit(text_[pos_ + 1]))) {
      FST_RETURN_NOT_OK(LexNumber(&tok));
    } else if (IsNameStart(c)) {
      tok.kind = Tok::kName;
      while (pos_ < text_.size() && IsNameChar(text_[pos_])) ++pos_;
      // One qualifier: "view.feature" names a feature of another view (on-demand views).
      if (pos_ + 1 < text_.size() && text_[pos_] == '.' && IsNameStart(text_[pos_ + 1])) {
        ++pos_;
        while (pos_ < text_.size() && IsNameChar(text_[pos_])) ++pos_;
      }
    } else if (c == '\'' || c == '"') {
      FST_RETURN_NOT_OK(LexString(&tok));
    } else if (c == '(' || c == ')' || c == ',') {
      tok.kind = c == '(' ? Tok::kLParen : c == ')' ? Tok::kRParen : Tok::kComma;
      ++pos_;
    } else {
      FST_RETURN_NOT_OK(LexOperator(tok.column));
      tok.kind = Tok::kOperator;
    }
    if (tok.kind != Tok::kString) tok.text = std::string(text_.substr(start, pos_ - start));
    tok.end_column = columns_[pos_];
    return tok;
  }

 private:
  Status LexNumber(Token* tok) {
    const size_t start = pos_;
    bool is_float = false;
    while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    if (pos_ < text_.size() && text_[pos_] == '.') {
      is_float = true;
      ++pos_;
      while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      size_t p = pos_ + 1;
      if (p < text_.size() && (text_[p] == '+' || text_[p] == '-')) ++p;
      if (p < text_.size() && IsDigit(text_[p])) {
        is_float = true;
        pos_ = p;
        while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
      }
    }
    const char* first = text_.data() + start;
    const char* last = text_.data() + pos_;
    tok->kind = Tok::kNumber;
    std::from_chars_result parsed;
    if (is_float) {
      double value = 0;
      parsed = std::from_chars(first, last, value);
      tok->number = value;
    } else {
      int64_t value = 0;
      parsed = std::from_chars(first, last, value);
      tok->number = value;
    }
    if (parsed.ec != std::errc() || parsed.ptr != last) {
      return Status::Invalid("column ", tok->column, ": number ", std::string(first, last),
                             " is out of range");
    }
    return Status::OK();
  }

  Status LexString(Token* tok) {
    const char quote = text_[pos_++];
    tok->kind = Tok::kString;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      if (text_[pos_] != '\\') {
        tok->text += text_[pos_++];
        continue;
      }
      if (pos_ + 1 == text_.size()) {
        return Status::Invalid("column ", tok->column, ": unterminated string");
      }
      const char escaped = text_[pos_ + 1];
      switch (escaped) {
        case '\\':
        case '\'':
        case '"':
          tok->text += escaped;
          break;
        case 'n':
          tok->text += '\n';
          break;
        case 't':
          tok->text += '\t';
          break;
        default:
          return Status::Invalid("column ", columns_[pos_], ": unknown escape '\\",
                                 std::string(1, escaped), "' (use \\\\, \\', \\\", \\n or \\t)");
      }
      pos_ += 2;
    }
    if (pos_ == text_.size()) {
      return Status::Invalid("column ", tok->column, ": unterminated string");
    }
    ++pos_;
    return Status::OK();
  }

  Status LexOperator(int column) {
    const std::string_view rest = text_.substr(pos_);
    for (std::string_view op : {"<=", ">=", "==", "!="}) {
      if (rest.substr(0, 2) == op) {
        pos_ += 2;
        return Status::OK();
      }
    }
    const char c = rest[0];
    if (std::string_view("+-*/%<>").find(c) != std::string_view::npos) {
      ++pos_;
      return Status::OK();
    }
    std::string_view hint;
    if (c == '=') hint = "; did you mean '=='?";
    if (c == '!') hint = "; did you mean 'not'?";
    if (c == '&') hint = "; did you mean 'and'?";
    if (c == '|') hint = "; did you mean 'or'?";
    size_t length = 1;
    while (pos_ + length < text_.size() &&
           (static_cast<unsigned char>(text_[pos_ + length]) & 0xC0) == 0x80) {
      ++length;
    }
    return Status::Invalid("column ", column, ": unexpected character '",
                           std::string(rest.substr(0, length)), "'", hint);
  }

  std::string_view text_;
  std::vector<int> columns_;  // byte offset -> 1-based character column
  size_t pos_ = 0;
};

class Parser {
 public:
  explicit Parser(std::string_view text) : lexer_(text) {}

  Result<Tree> Run() {
    FST_RETURN_NOT_OK(Advance());
    FST_ASSIGN_OR_RAISE(Node root, ParseOr());
    if (tok_.kind == Tok::kRParen) {
      return Status::Invalid("column ", tok_.column, ": unmatched ')'");
    }
    if (tok_.kind != Tok::kEnd) return Expected("an operator");
    Tree tree;
    tree.root = std::move(root);
    tree.node_count = static_cast<int>(heights_.size());
    tree.names = std::move(names_);
    return tree;
  }

 private:
  Status Advance() {
    FST_ASSIGN_OR_RAISE(tok_, lexer_.Next());
    return Status::OK();
  }

  bool AtKeyword(std::string_view word) const {
    return tok_.kind == Tok::kName && tok_.text == word;
  }
  bool AtOperator(std::string_view op) const {
    return tok_.kind == Tok::kOperator && tok_.text == op;
  }

  std::string Describe(const Token& tok) const {
    switch (tok.kind) {
      case Tok::kEnd:
        return "end of expression";
      case Tok::kNumber:
        return "number " + tok.text;
      case Tok::kString:
        return "string '" + tok.text + "'";
      case Tok::kName:
        for (std::string_view k : kKeywords) {
          if (tok.text == k) return "'" + tok.text + "'";
        }
        return "name '" + tok.text + "'";
      default:
        return "'" + tok.text + "'";
    }
  }

  Status Expected(std::string_view what) const {
    return Status::Invalid("column ", tok_.column, ": expected ", what, ", found ", Describe(tok_));
  }

  // A node of `kind` at `column` over `children`. Errors: Invalid when the tree gets too high.
  Result<Node> Make(NodeKind kind, int column, std::vector<Node> children) {
    int height = 1;
    for (const Node& c : children) height = std::max(height, heights_[c.id] + 1);
    if (height > kMaxHeight) {
      return Status::Invalid("column ", column, ": expression too deep (more than ", kMaxHeight,
                             " levels)");
    }
    Node node;
    node.kind = kind;
    node.id = static_cast<int>(heights_.size());
    node.column = column;
    node.children = std::move(children);
    heights_.push_back(height);
    return node;
  }

  Result<Node> MakeBinary(Op op, int column, Node left, Node right) {
    std::vector<Node> children;
    children.push_back(std::move(left));
    children.push_back(std::move(right));
    FST_ASSIGN_OR_RAISE(Node node, Make(NodeKind::kBinary, column, std::move(children)));
    node.op = op;
    return node;
  }

  // Counts one level of recursion. Errors: Invalid beyond kMaxNesting.
  Status Nest() {
    if (++nesting_ > kMaxNesting) {
      return Status::Invalid("column ", tok_.column, ": expression nested too deeply (more than ",
                             kMaxNesting, " levels)");
    }
    return Status::OK();
  }

  void AddName(const std::string& name) {
    if (seen_names_.insert(name).second) names_.push_back(name);
  }

  Result<Node> ParseOr() {
    FST_RETURN_NOT_OK(Nest());
    FST_ASSIGN_OR_RAISE(Node left, ParseAnd());
    while (AtKeyword("or")) {
      const int column = tok_.column;
      FST_RETURN_NOT_OK(Advance());
      FST_ASSIGN_OR_RAISE(Node right, ParseAnd());
      FST_ASSIGN_OR_RAISE(left, MakeBinary(Op::kOr, column, std::move(left), std::move(right)));
    }
    --nesting_;
    return left;
  }

  Result<Node> ParseAnd() {
    FST_ASSIGN_OR_RAISE(Node left, ParseNot());
    while (AtKeyword("and")) {
      const int column = tok_.column;
      FST_RETURN_NOT_OK(Advance());
      FST_ASSIGN_OR_RAISE(Node right, ParseNot());
      FST_ASSIGN_OR_RAISE(left, MakeBinary(Op::kAnd, column, std::move(left), std::move(right)));
    }
    return left;
  }

  Result<Node> ParseNot() {
    if (!AtKeyword("not")) return ParseComparison();
    const int column = tok_.column;
    FST_RETURN_NOT_OK(Nest());
    FST_RETURN_NOT_OK(Advance());
    FST_ASSIGN_OR_RAISE(Node operand, ParseNot());
    --nesting_;
    std::vector<Node> children;
    children.push_back(std::move(operand));
    FST_ASSIGN_OR_RAISE(Node node, Make(NodeKind::kUnary, column, std::move(children)));
    node.op = Op::kNot;
    return node;
  }

  // The comparison operator at the current token, if any.
  std::optional<Op> AtComparison() const {
    if (tok_.kind != Tok::kOperator) return std::nullopt;
    constexpr std::pair<std::string_view, Op> kOps[] = {{"==", Op::kEq}, {"!=", Op::kNe},
                                                        {"<", Op::kLt},  {"<=", Op::kLe},
                                                        {">", Op::kGt},  {">=", Op::kGe}};
    for (const auto& [text, op] : kOps) {
      if (tok_.text == text) return op;
    }
    return std::nullopt;
  }

  Result<Node> ParseComparison() {
    FST_ASSIGN_OR_RAISE(Node left, ParseAdditive());
    const std::optional<Op> op = AtComparison();
    if (!op) return left;
    const int column = tok_.column;
    FST_RETURN_NOT_OK(Advance());
    FST_ASSIGN_OR_RAISE(Node right, ParseAdditive());
    if (AtComparison()) {
      return Status::Invalid("column ", tok_.column,
                             ": comparisons cannot be chained; combine them with 'and'");
    }
    return MakeBinary(*op, column, std::move(left), std::move(right));
  }

  Result<Node> ParseAdditive() {
    FST_ASSIGN_OR_RAISE(Node left, ParseMultiplicative());
    while (AtOperator("+") || AtOperator("-")) {
      const Op op = tok_.text == "+" ? Op::kAdd : Op::kSub;
      const int column = tok_.column;
      FST_RETURN_NOT_OK(Advance());
      FST_ASSIGN_OR_RAISE(Node right, ParseMultiplicative());
      FST_ASSIGN_OR_RAISE(left, MakeBinary(op, column, std::move(left), std::move(right)));
    }
    return left;
  }

  Result<Node> ParseMultiplicative() {
    FST_ASSIGN_OR_RAISE(Node left, ParseUnary());
    while (AtOperator("*") || AtOperator("/") || AtOperator("%")) {
      const Op op = tok_.text == "*" ? Op::kMul : tok_.text == "/" ? Op::kDiv : Op::kMod;
      const int column = tok_.column;
      FST_RETURN_NOT_OK(Advance());
      FST_ASSIGN_OR_RAISE(Node right, ParseUnary());
      FST_ASSIGN_OR_RAISE(left, MakeBinary(op, column, std::move(left), std::move(right)));
    }
    return left;
  }

  Result<Node> ParseUnary() {
    if (!AtOperator("-")) return ParsePrimary();
    const int column = tok_.column;
    FST_RETURN_NOT_OK(Nest());
    FST_RETURN_NOT_OK(Advance());
    FST_ASSIGN_OR_RAISE(Node operand, ParseUnary());
    --nesting_;
    std::vector<Node> children;
    children.push_back(std::move(operand));
    FST_ASSIGN_OR_RAISE(Node node, Make(NodeKind::kUnary, column, std::move(children)));
    node.op = Op::kNeg;
    return node;
  }

  Result<Node> ParseLiteral(Literal value) {
    FST_ASSIGN_OR_RAISE(Node node, Make(NodeKind::kLiteral, tok_.column, {}));
    node.text = tok_.text;
    node.literal = std::move(value);
    FST_RETURN_NOT_OK(Advance());
    return node;
  }

  Result<Node> ParsePrimary() {
    switch (tok_.kind) {
      case Tok::kNumber: {
        const int column = tok_.column;
        const int end_column = tok_.end_column;
        FST_ASSIGN_OR_RAISE(Node number, ParseLiteral(tok_.number));
        if (tok_.kind != Tok::kName || tok_.column != end_column) return number;
        std::vector<Node> children;
        children.push_back(std::move(number));
        FST_ASSIGN_OR_RAISE(Node glued, Make(NodeKind::kGlued, column, std::move(children)));
        glued.text = tok_.text;
        AddName(tok_.text);
        FST_RETURN_NOT_OK(Advance());
        return glued;
      }
      case Tok::kString:
        return ParseLiteral(tok_.text);
      case Tok::kLParen: {
        const int column = tok_.column;
        FST_RETURN_NOT_OK(Advance());
        FST_ASSIGN_OR_RAISE(Node inner, ParseOr());
        if (tok_.kind != Tok::kRParen) {
          return Expected("')' to close '(' at column " + std::to_string(column));
        }
        FST_RETURN_NOT_OK(Advance());
        return inner;
      }
      case Tok::kName:
        if (AtKeyword("true")) return ParseLiteral(true);
        if (AtKeyword("false")) return ParseLiteral(false);
        if (AtKeyword("null")) return ParseLiteral(std::monostate{});
        if (AtKeyword("and") || AtKeyword("or") || AtKeyword("not")) return Expected("a value");
        return ParseNameOrCall();
      default:
        return Expected("a value");
    }
  }

  Result<Node> ParseNameOrCall() {
    const Token name = tok_;
    FST_RETURN_NOT_OK(Advance());
    if (tok_.kind != Tok::kLParen) {
      FST_ASSIGN_OR_RAISE(Node node, Make(NodeKind::kName, name.column, {}));
      node.text = name.text;
      AddName(name.text);
      return node;
    }
    const auto info = std::find_if(std::begin(kFunctions), std::end(kFunctions),
                                   [&](const FunctionInfo& f) { return f.name == name.text; });
    if (info == std::end(kFunctions)) return UnknownFunction(name.column, name.text);
    const int open_column = tok_.column;
    FST_RETURN_NOT_OK(Advance());
    std::vector<Node> args;
    if (tok_.kind != Tok::kRParen) {
      while (true) {
        FST_ASSIGN_OR_RAISE(Node arg, ParseOr());
        args.push_back(std::move(arg));
        if (tok_.kind == Tok::kRParen) break;
        if (tok_.kind != Tok::kComma) {
          return Expected("',' or ')' in the call of " + name.text + " at column " +
                          std::to_string(open_column));
        }
        FST_RETURN_NOT_OK(Advance());
      }
    }
    FST_RETURN_NOT_OK(Advance());
    const int n = static_cast<int>(args.size());
    if (n < info->min_args || (info->max_args >= 0 && n > info->max_args)) {
      std::string expected = std::to_string(info->min_args);
      if (info->max_args < 0) expected = "at least " + expected;
      return Status::Invalid("column ", name.column, ": ", name.text, " takes ", expected,
                             info->min_args == 1 ? " argument" : " arguments", ", found ", n);
    }
    std::shared_ptr<const TextPattern> pattern;
    if (info->function == Function::kRegexMatch) {
      FST_ASSIGN_OR_RAISE(pattern, CompilePattern(args[1]));
    }
    FST_ASSIGN_OR_RAISE(Node node, Make(NodeKind::kCall, name.column, std::move(args)));
    node.text = name.text;
    node.function = info->function;
    node.pattern = std::move(pattern);
    return node;
  }

  Lexer lexer_;
  Token tok_;
  int nesting_ = 0;
  std::vector<int> heights_;  // by node id
  std::vector<std::string> names_;
  std::set<std::string> seen_names_;
};

}  // namespace

Result<Tree> ParseTree(std::string_view text) { return Parser(text).Run(); }

}  // namespace fst::transform::internal
