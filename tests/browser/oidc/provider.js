// A real OpenID Connect provider (the certified oidc-provider package) on loopback, for tests/browser/test_oidc.py.
// Usage: node provider.js PORT APP_URL. Any login name signs in (its e-mail is NAME@uni.example) through the
// package's own development login and consent pages; one confidential client, "dlmi", redirects to APP_URL.
import Provider from "oidc-provider";

const port = Number(process.argv[2]);
const app = process.argv[3];
const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: "dlmi",
    client_secret: "dlmi-test-secret",
    redirect_uris: [`${app}/oauth2callback`],
    post_logout_redirect_uris: [app, `${app}/`, `${app}/oauth2callback`],
    grant_types: ["authorization_code"],
    response_types: ["code"],
  }],
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
  scopes: ["openid", "email", "profile"],
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: `${id}@uni.example`, email_verified: true, name: id };
      },
    };
  },
  pkce: { required: () => false },
  conformIdTokenClaims: false,  // the e-mail in the ID token itself, as university providers send it
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ["dlmi-test-cookie-key"] },
  ttl: { Session: 3600, Grant: 3600 },
});
provider.proxy = false;
provider.listen(port, "127.0.0.1", () => console.log(`oidc provider on ${port}`));
