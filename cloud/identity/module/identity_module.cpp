#include "identity_module.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <iostream>

#include "open_identity_store.hpp"
#include "tidewire/identity/auth_gate.hpp"
#include "tidewire/identity/identity_api.hpp"
#include "tidewire/identity/token_registry.hpp"

namespace tidewire::identity {
namespace {

using T = OptionSpec::Type;

constexpr const char* kTokenUsage =
    "  tidewire-cloud token create --principal NAME --scopes SCOPE[,SCOPE] [--note TEXT] [--out FILE]\n"
    "  tidewire-cloud token list\n"
    "  tidewire-cloud token revoke TOKEN_ID\n"
    "(with the server's --config FILE or --store/--identity-store URL; scopes: operator, metrics, merchant, rider,\n"
    " customer, installer, streamer, viewer)";

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    if (comma > start) out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

// The token to a file only its owner can read; written whole or not at all.
Status write_secret(const std::string& path, const std::string& token) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    if (!f) return make_error(ErrorCode::kIo, "cannot write " + tmp);
    ::chmod(tmp.c_str(), 0600);
    f << token << "\n";
    if (!f.flush()) return make_error(ErrorCode::kIo, "cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return make_error(ErrorCode::kIo, "cannot rename " + tmp);
  return {};
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ",") + n;
  return out;
}

int token_command(const Config& config, const cloud::StoreFactory& stores) {
  const auto& args = config.positionals();  // "token", verb, ...
  const std::string verb = args.size() > 1 ? args[1] : "";
  auto fail = [](const std::string& message) {
    std::cerr << "tidewire-cloud token: " << message << "\n";
    return 2;
  };
  if (verb != "create" && verb != "list" && verb != "revoke") {
    return fail("say create, list or revoke:\n" + std::string(kTokenUsage));
  }
  const auto& url = stores.url_for("identity");
  auto store = open_identity_store(url);
  if (!store) return fail("cannot open the identity store " + url.text + ": " + store.error().message);
  SystemClock clock;
  TokenRegistry tokens(**store, clock);

  if (verb == "create") {
    NewToken request;
    request.principal = config.str("principal");
    request.scopes = split_commas(config.str("scopes"));
    request.note = config.str("note");
    request.created_by = "cli";
    auto created = tokens.create(request);
    if (!created) return fail(created.error().message);
    if (const auto& out = config.str("out"); !out.empty()) {
      if (auto st = write_secret(out, created->text); !st) return fail(st.error().message);
      std::cerr << "token " << created->record.id << " for " << request.principal << " written to " << out << "\n";
    } else {
      std::cout << created->text << std::endl;  // before the note on stderr, also when both go to one file
      std::cerr << "token " << created->record.id << " for " << request.principal
                << " (shown once; send it as \"Authorization: Bearer <token>\")\n";
    }
    return 0;
  }
  if (verb == "list") {
    auto list = tokens.list();
    if (!list) return fail(list.error().message);
    std::cout << "token_id      principal        scopes                 created_ms     revoked_ms     note\n";
    for (const auto& t : *list) {
      char line[256];
      std::snprintf(line, sizeof line, "%-13s %-16s %-22s %-14lld %-14lld ", t.id.c_str(), t.principal.c_str(),
                    joined(t.scopes).c_str(), static_cast<long long>(t.created_ms),
                    static_cast<long long>(t.revoked_ms));
      std::cout << line << t.note << "\n";
    }
    return 0;
  }
  if (args.size() != 3) return fail("revoke takes one TOKEN_ID (see token list)");
  auto revoked = tokens.revoke(args[2]);
  if (!revoked) return fail(revoked.error().message);
  if (!*revoked) return fail("no token '" + args[2] + "' (see token list)");
  std::cerr << "token " << args[2] << " revoked\n";
  return 0;
}

class IdentityModule final : public cloud::CloudModule {
 public:
  std::string name() const override { return "identity"; }
  std::string summary() const override { return "API tokens and scopes on every route, the audit log of writes"; }

  std::vector<OptionSpec> options() const override {
    return {
        {"auth-max-failures", T::kInt, "20",
         "bad tokens one address may present per --auth-failure-window-s before it gets 429"},
        {"auth-failure-window-s", T::kInt, "60", "window of --auth-max-failures, seconds"},
    };
  }

  std::vector<cloud::ModuleCommand> commands() const override {
    return {{"token",
             kTokenUsage,
             {{"principal", T::kString, "", "token create: whom it speaks for (1-64 of A-Z a-z 0-9 _ -)"},
              {"scopes", T::kString, "", "token create: comma-separated scopes"},
              {"note", T::kString, "", "token create: what it is for"},
              {"out", T::kString, "", "token create: write the token to this file (mode 0600) instead of stdout"}},
             token_command}};
  }

  Status check(const Config& c) const override {
    if (auto st = check_range(c, "auth-max-failures", 1, 1'000'000); !st) return st;
    return check_range(c, "auth-failure-window-s", 1, 86'400);
  }

  Status open(cloud::ModuleContext& ctx) override {
    const auto& url = ctx.stores.url_for(name());
    auto store = open_identity_store(url);
    if (!store) {
      return make_error(store.error().code, "cannot open the identity store " + url.text + ": " +
                                                store.error().message +
                                                " (check --store, --identity-store or --db-path, and that its directory "
                                                "is writable)");
    }
    store_ = std::move(*store);
    tokens_ = std::make_unique<TokenRegistry>(*store_, ctx.clock);
    GateOptions options;
    options.max_failures = static_cast<int>(ctx.config.integer("auth-max-failures"));
    options.failure_window_ms = ctx.config.integer("auth-failure-window-s") * 1000;
    gate_ = std::make_unique<AuthGate>(*tokens_, *store_, ctx.clock, ctx.metrics, options);
    api_ = std::make_unique<IdentityApi>(*tokens_, *store_);
    ctx.services.provide<http::Gate>(*gate_);
    return {};
  }

  Status install(http::Router& router) override { return api_->install(router); }

 private:
  IdentityStorePtr store_;
  std::unique_ptr<TokenRegistry> tokens_;
  std::unique_ptr<AuthGate> gate_;
  std::unique_ptr<IdentityApi> api_;
};

}  // namespace

cloud::CloudModulePtr make_identity_module() { return std::make_unique<IdentityModule>(); }

}  // namespace tidewire::identity
