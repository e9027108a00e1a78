/**
 * @module The `list_apis` tool: what the sandboxed code may call. Names, domains and credential
 * *names* only; where a secret value comes from is the proxy's business and never shown.
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { LoadedApis } from "../../config/load-apis.ts";
import type { ProxyStatus } from "../../config/proxy-status.ts";

export function registerListApis(
  server: McpServer,
  loadApis: () => Promise<LoadedApis>,
  proxyStatus: () => Promise<ProxyStatus | undefined> = async () => undefined,
): void {
  server.registerTool(
    "list_apis",
    {
      title: "List the APIs code may call",
      description:
        "The REST APIs configured for this gateway: name, description, domains, credential names to write in " +
        "requests, reference URL, restricted methods, requests that wait for a person's approval, and request " +
        "budgets. Also reports configuration files that failed to load.",
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async () => {
      const [{ apis, problems }, proxy] = await Promise.all([loadApis(), proxyStatus()]);
      const listed = apis
        .filter((api) => api.active)
        .map((api) => ({
          name: api.name,
          description: api.description,
          domains: api.domains,
          credentials: Object.entries(api.credentials).map(([name, c]) => ({
            name,
            description: c.description,
            usage: credentialUsage(name, c),
            ...(c.methods ? { methods: c.methods } : {}),
            ...(c.paths ? { paths: c.paths } : {}),
            ...(c.limits ? { limits: c.limits } : {}),
          })),
          referenceUrl: api.referenceUrl,
          restrictedMethods: api.restrictedMethods,
          // What waits for a person, and the budgets: the model can plan around both.
          ...(api.approvals.length ? { approvalsRequiredFor: api.approvals } : {}),
          ...(api.limits ? { limits: api.limits } : {}),
          // Only the proxy knows whether the secrets are there: without a loaded version there,
          // requests to this API get no credential and no passage.
          ...(proxy && !proxy.loaded.includes(api.name)
            ? { usable: false, why: "the proxy could not load this API (see configProblems from the proxy)" }
            : {}),
        }));
      const proxyProblems = (proxy?.problems ?? [])
        // A file the gateway already reports is reported once, in the gateway's words.
        .filter((p) => !problems.some((q) => q.file === p.file))
        .map((p) => ({ ...p, reportedBy: "proxy" }));
      const payload = { apis: listed, configProblems: [...problems, ...proxyProblems] };
      return { content: [{ type: "text", text: JSON.stringify(payload, null, 2) }], structuredContent: payload };
    },
  );
}

/** How the code should write the name, in words the model can follow. */
function credentialUsage(name: string, c: { headers: string[]; query: string[]; basicAuth: boolean }): string {
  const ways = [
    ...c.headers.map((h) => `header ${h}${h.toLowerCase() === "authorization" ? ` (e.g. "Bearer ${name}")` : ` ("${name}")`}`),
    ...c.query.map((q) => `query parameter ${q}=${name}`),
    ...(c.basicAuth ? [`Basic auth password (Authorization: "Basic " + btoa("user:${name}"))`] : []),
  ];
  return ways.length > 0 ? `write ${name} in: ${ways.join("; ")}` : "not injected anywhere (no location configured)";
}
