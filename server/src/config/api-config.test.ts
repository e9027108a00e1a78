import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { apiConfigJsonSchema, apiConfigSchema } from "./api-config.ts";

const valid = {
  description: "Payments",
  domains: ["api.stripe.com"],
  credentials: {
    STRIPE_AUTH_TOKEN: { headers: ["Authorization"], value: { env: "STRIPE_KEY" }, methods: ["GET"], paths: ["/v1/charges*"] },
  },
};

describe("API config schema", () => {
  it("should match the JSON Schema the proxy validates with (no drift: run `npm run schema`)", () => {
    const committed = JSON.parse(readFileSync(new URL("../../../proxy/addons/api-config.schema.json", import.meta.url), "utf8"));
    expect(committed).toEqual(apiConfigJsonSchema());
  });

  it("should accept the shipped example (apis/example/config.json.example)", () => {
    const example = JSON.parse(readFileSync(new URL("../../../apis/example/config.json.example", import.meta.url), "utf8"));
    expect(apiConfigSchema.safeParse(example).success).toBe(true);
  });

  it("should accept a complete config and fill the defaults", () => {
    const parsed = apiConfigSchema.parse(valid);
    expect(parsed).toMatchObject({ active: true, restrictedMethods: [], redact: [], ports: [443], plainHttpPorts: [] });
    expect(parsed.credentials.STRIPE_AUTH_TOKEN).toMatchObject({ query: [], basicAuth: false });
  });

  it.each<[string, unknown, string]>([
    ["a scheme in a domain", { ...valid, domains: ["https://api.stripe.com"] }, "domains.0"],
    ["an upper-case domain", { ...valid, domains: ["API.stripe.com"] }, "domains.0"],
    ["a wildcard domain", { ...valid, domains: ["*.stripe.com"] }, "domains.0"],
    ["no domains", { ...valid, domains: [] }, "domains"],
    ["an unknown field", { ...valid, domain: ["x.com"] }, ""],
    ["a lower-case credential name", { ...valid, credentials: { stripe_token: valid.credentials.STRIPE_AUTH_TOKEN } }, "credentials.stripe_token"],
    ["a literal secret value", { ...valid, credentials: { STRIPE_AUTH_TOKEN: { headers: ["Authorization"], value: { literal: "sk_live" } } } }, "credentials.STRIPE_AUTH_TOKEN.value"],
    ["a credential without a value source", { ...valid, credentials: { STRIPE_AUTH_TOKEN: { headers: ["Authorization"] } } }, "credentials.STRIPE_AUTH_TOKEN.value"],
    ["an unknown method", { ...valid, restrictedMethods: ["TRACE"] }, "restrictedMethods.0"],
    ["a relative scope path", { ...valid, credentials: { STRIPE_AUTH_TOKEN: { ...valid.credentials.STRIPE_AUTH_TOKEN, paths: ["v1/*"] } } }, "credentials.STRIPE_AUTH_TOKEN.paths.0"],
    ...["/v1/*/charges", "/v1/%2e%2e/x", "/v1/charges;x", "/v1//charges", "/v1/../admin", "/v1/\\x", "/v1/a?b"].map(
      (p): [string, unknown, string] => [`the ambiguous scope path ${p}`, { ...valid, credentials: { STRIPE_AUTH_TOKEN: { ...valid.credentials.STRIPE_AUTH_TOKEN, paths: [p] } } }, "credentials.STRIPE_AUTH_TOKEN.paths.0"],
    ),
    ["a port out of range", { ...valid, ports: [0] }, "ports.0"],
    ["a plain-HTTP port that is not a number", { ...valid, plainHttpPorts: ["80"] }, "plainHttpPorts.0"],
  ])("should reject %s", (_name, config, field) => {
    const result = apiConfigSchema.safeParse(config);
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.path.join(".")).toBe(field);
  });
});
