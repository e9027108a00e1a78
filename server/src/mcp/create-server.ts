/**
 * @module Builds one MCP server instance with Airlock's tools. The HTTP layer makes a fresh one
 * per session, so no session ever shares protocol state with another.
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { LoadedApis } from "../config/load-apis.ts";
import type { ProxyStatus } from "../config/proxy-status.ts";
import type { Execute } from "../executor/executor.ts";
import { registerExecuteCode, type ExecuteCodeLimits } from "./tools/execute-code.ts";
import { registerGetInstructions } from "./tools/get-instructions.ts";
import { registerListApis } from "./tools/list-apis.ts";
import { registerSkillTools } from "./tools/skills.ts";
import { registerSkillResources } from "./skill-resources.ts";
import type { SkillEvents } from "../skills/skill-events.ts";
import type { SchemaCompiler } from "../skills/input-schema.ts";
import type { SkillStore } from "../skills/skill-store.ts";

export interface McpDeps {
  execute: Execute;
  loadApis: () => Promise<LoadedApis>;
  instructions: string;
  limits: ExecuteCodeLimits;
  version: string;
  skills: SkillStore;
  skillEvents: SkillEvents;
  schemas: SchemaCompiler;
  proxyStatus?: () => Promise<ProxyStatus | undefined>;
}

export function createMcpServer(deps: McpDeps): McpServer {
  const server = new McpServer(
    { name: "airlock", version: deps.version },
    { instructions: deps.instructions, capabilities: { resources: { listChanged: true }, prompts: {} } },
  );
  registerExecuteCode(server, deps.execute, deps.limits);
  registerSkillTools(server, { store: deps.skills, events: deps.skillEvents, execute: deps.execute, limits: deps.limits, schemas: deps.schemas });
  registerSkillResources(server, deps.skills, deps.skillEvents);
  registerListApis(server, deps.loadApis, deps.proxyStatus);
  registerGetInstructions(server, deps.instructions);
  return server;
}
