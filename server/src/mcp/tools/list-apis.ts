/**
 * @module The `list_apis` tool: what the sandboxed code may call. Names, domains and credential
 * *names* only; where a secret value comes from is the proxy's business and never shown.
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { LoadedApis } from "../../config/load-apis.ts";

export function registerListApis(server: McpServer, loadApis: () => Promise<LoadedApis>): void {
  server.registerTool(
    "list_apis",
    {
      title: "List the APIs code may call",
      description:
        "The REST APIs configured for this gateway: name, description, domains, credential names to write in " +
        "requests, reference URL and restricted methods. Also reports configuration files that failed to load.",
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async () => {
      const { apis, problems } = await loadApis();
      const listed = apis
        .filter((api) => api.active)
        .map((api) => ({
          name: api.name,
          description: api.description,
          domains: api.domains,
          credentials: Object.entries(api.credentials).map(([name, c]) => ({
            name,
            description: c.description,
            ...(c.header ? { header: c.header } : {}),
            ...(c.query ? { query: c.query } : {}),
          })),
          referenceUrl: api.referenceUrl,
          restrictedMethods: api.restrictedMethods,
        }));
      const payload = { apis: listed, configProblems: problems };
      return { content: [{ type: "text", text: JSON.stringify(payload, null, 2) }], structuredContent: payload };
    },
  );
}
