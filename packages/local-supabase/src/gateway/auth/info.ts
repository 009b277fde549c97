// GET /health and GET /settings (api/api.go HealthCheck, api/settings.go).
import { jsonResponse } from "./errors.ts";
import type { AuthSettings } from "./settings.ts";

/** GoTrue's health body; the version names this stand-in rather than a GoTrue release. */
export function health(): Response {
  return jsonResponse(200, {
    version: "parley-local",
    name: "GoTrue",
    description: "GoTrue is a user registration and authentication API",
  });
}

const OAUTH_PROVIDERS = [
  "apple",
  "azure",
  "bitbucket",
  "discord",
  "facebook",
  "snapchat",
  "figma",
  "fly",
  "github",
  "gitlab",
  "google",
  "keycloak",
  "kakao",
  "linkedin",
  "linkedin_oidc",
  "notion",
  "spotify",
  "slack",
  "slack_oidc",
  "workos",
  "twitch",
  "twitter",
];

/** Which sign-in methods are on: email and anonymous per config; phone and every OAuth provider off locally. */
export function settingsHandler(s: AuthSettings): Response {
  const external: Record<string, boolean> = { anonymous_users: s.enableAnonymousSignIns };
  for (const p of OAUTH_PROVIDERS) external[p] = false;
  external.email = s.emailEnabled;
  external.phone = false;
  external.zoom = false;
  return jsonResponse(200, {
    external,
    disable_signup: !s.enableSignup,
    mailer_autoconfirm: s.mailerAutoconfirm,
    phone_autoconfirm: false,
    sms_provider: "",
    saml_enabled: false,
    saml_private_key_next_configured: false,
    passkeys_enabled: false,
  });
}
