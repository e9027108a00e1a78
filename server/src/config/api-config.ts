/**
 * @module The schema of `apis/<name>/config.json`: one API an operator lets sandboxed code call.
 * Parsed strictly so a typo is reported instead of silently ignored. The proxy validates the same
 * files against `proxy/addons/api-config.schema.json`, generated from this schema (a unit test
 * keeps the two identical), so the two sides cannot drift. No refinements: everything here must
 * be expressible in JSON Schema.
 *
 * Credential entries carry the *name* the code writes, where the proxy may put the real value,
 * and where the proxy reads that value. The value itself is never in this file.
 */
import { z } from "zod";

/** Exact DNS hostnames, lower case. No schemes, ports or paths. */
export const hostname = z
  .string()
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/, {
    message: "must be a lower-case hostname such as api.example.com (no scheme, port or path)",
  });

export const credentialName = z.string().regex(/^[A-Z][A-Z0-9_]{5,63}$/, {
  message: "must be UPPER_SNAKE_CASE, 6-64 characters, starting with a letter",
});

export const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
const method = z.enum(HTTP_METHODS);
const port = z.number().int().min(1).max(65535);
const headerName = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, { message: "must be an HTTP header name" });

const valueSource = z.union([
  z.object({ env: z.string().regex(/^[A-Z_][A-Z0-9_]{0,127}$/).describe("Variable in the proxy's environment") }).strict(),
  z.object({ file: z.string().regex(/^\/[^\0]{1,1023}$/).describe("Absolute path of a file in the proxy container") }).strict(),
]);

// Plain paths only: no escapes, ';', '\\', '?', '#', empty or dot segments; '*' only at the end.
// The proxy refuses requests whose own path is that ambiguous wherever a credential would go.
const pathPattern = z.string().regex(/^(?!.*\/\/)(?!.*\/\.+(?:\/|\*?$))\/[A-Za-z0-9._~!$&'()+,=:@\/-]{0,254}\*?$/, {
  message: "must be a plain path like /v1/charges or /v1/charges* ('*' only at the end; no %, ;, \\, ?, #, // or dot segments)",
});

const limits = z
  .object({
    requestsPerExecution: z.number().int().min(1).max(1_000_000).optional().describe("At most this many requests in one execution"),
    requestsPerMinute: z.number().int().min(1).max(1_000_000).optional().describe("At most this many requests in any 60 seconds, all executions together"),
  })
  .strict();

const credential = z
  .object({
    description: z.string().max(500).optional().describe("What the credential grants, for the model"),
    headers: z.array(headerName).max(16).default([]).describe("Headers whose value may carry the name"),
    query: z.array(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/)).max(16).default([]).describe("Query parameters that may carry the name"),
    basicAuth: z.boolean().default(false).describe("The name may be the password of an Authorization: Basic header"),
    value: valueSource.describe("Where the proxy reads the real value"),
    methods: z.array(method).max(7).optional().describe("Only for these methods (default: all)"),
    paths: z
      .array(pathPattern)
      .max(32)
      .optional()
      .describe("Only for these URL paths, matched whole segments at a time: '/v1/charges*' matches /v1/charges and anything under it (default: all)"),
    limits: limits.optional().describe("Budgets for requests that carry this credential"),
  })
  .strict();

const approvalRule = z
  .object({
    methods: z.array(method).min(1).max(7).optional().describe("Methods that need approval (default: any)"),
    paths: z.array(pathPattern).min(1).max(32).optional().describe("Paths that need approval, matched like credential paths (default: any)"),
  })
  .strict();

export const apiConfigSchema = z
  .object({
    description: z.string().min(1).max(2000).describe("What the API is for; the model reads it"),
    domains: z.array(hostname).min(1).max(64).describe("Exact hostnames the code may reach"),
    ports: z
      .array(port)
      .min(1)
      .max(16)
      .default([443])
      .describe("HTTPS ports the code may reach on these domains; credentials travel only over TLS to these"),
    plainHttpPorts: z
      .array(port)
      .max(16)
      .default([])
      .describe("Ports where plain http:// is allowed; no credential is ever injected there (a name is refused)"),
    credentials: z.record(credentialName, credential).default({}).describe("Credential name -> where and how it is injected"),
    referenceUrl: z.url().optional().describe("Where the API's documentation lives"),
    restrictedMethods: z.array(method).default([]).describe("Methods the proxy refuses on this API"),
    redact: z.array(z.string().min(3).max(256)).max(256).default([]).describe("Strings replaced by [REDACTED] in outbound requests"),
    approvals: z
      .array(approvalRule)
      .max(32)
      .default([])
      .describe("Requests matching any rule wait for a person's approval (MCP elicitation or the console) before they go out"),
    limits: limits.optional().describe("Budgets for requests to this API"),
    active: z.boolean().default(true).describe("false keeps the file but switches the API off"),
  })
  .strict();

export type ApiConfig = z.infer<typeof apiConfigSchema>;

/** Folder names become API names: short, lower-case, no path tricks. */
export const apiName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/);

/** The JSON Schema the proxy validates with. */
export function apiConfigJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(apiConfigSchema, { io: "input" }) as Record<string, unknown>;
}
