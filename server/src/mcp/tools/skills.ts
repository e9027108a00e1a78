/**
 * @module The skill tools: save, update (search/replace edits), delete, run, list, versions and
 * roll back. Every failure is a tool error with a message the model can act on, and changes
 * nothing on disk.
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { Execute } from "../../executor/executor.ts";
import { applyEdits } from "../../skills/apply-edits.ts";
import type { SchemaCompiler } from "../../skills/input-schema.ts";
import { checkArgs, skillProgram } from "../../skills/skill-program.ts";
import type { SkillEvents } from "../../skills/skill-events.ts";
import { SkillError, type Provenance, type SkillStore } from "../../skills/skill-store.ts";
import type { ExecuteCodeLimits } from "./execute-code.ts";
import { executionResultShape, runAsTool } from "../execution-view.ts";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import type { ServerNotification, ServerRequest } from "@modelcontextprotocol/sdk/types.js";

export interface SkillToolDeps {
  store: SkillStore;
  events: SkillEvents;
  execute: Execute;
  limits: ExecuteCodeLimits;
  /** Compiles (and caches) input schemas; shared by every session. */
  schemas: SchemaCompiler;
}

const name = z.string().describe("Skill name: lower-case letters, digits, '-' or '_', starting with a letter");
const inputSchema = z
  .record(z.string(), z.unknown())
  .describe('JSON Schema of the args object, e.g. {"type":"object","properties":{"id":{"type":"string"}},"required":["id"]}');

function failure(err: unknown): CallToolResult {
  if (err instanceof SkillError) return { isError: true, content: [{ type: "text", text: err.message }] };
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "EACCES" || code === "EPERM" || code === "EROFS") {
    return {
      isError: true,
      content: [{ type: "text", text: "the skills store is not writable by the gateway (uid 1000); the operator must fix its ownership (see README, Skills)" }],
    };
  }
  throw err;
}

function ok(text: string, structured?: Record<string, unknown>): CallToolResult {
  return { content: [{ type: "text", text }], ...(structured ? { structuredContent: structured } : {}) };
}

export function registerSkillTools(server: McpServer, deps: SkillToolDeps): void {
  const who = (sessionId: string | undefined): Omit<Provenance, "at"> => ({
    client: server.server.getClientVersion()?.name ?? "unknown",
    session: sessionId ?? "none",
  });
  type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;
  const guarded =
    <A,>(fn: (args: A, extra: Extra) => Promise<CallToolResult>) =>
    async (args: A, extra: Extra) => {
      try {
        return await fn(args, extra);
      } catch (err) {
        return failure(err);
      }
    };

  server.registerTool(
    "save_skill",
    {
      title: "Save a skill",
      description:
        "Save working TypeScript as a named, reusable skill. The code must `export default async function (args) { ... }` " +
        "and return (or print) its result; it can import other skills as '../<name>/skill.ts'. Run it later with run_skill.",
      inputSchema: {
        name,
        description: z.string().min(1).max(2000).describe("What the skill does and returns"),
        code: z.string().min(1).describe("The skill's TypeScript module"),
        input_schema: inputSchema.optional(),
      },
    },
    guarded(async (args: { name: string; description: string; code: string; input_schema?: Record<string, unknown> }, extra) => {
      const schema = args.input_schema ?? { type: "object" };
      // First, before the name or size is looked at: a hostile schema must never reach the store.
      deps.schemas.compile(schema);
      const skill = await deps.store.save({ name: args.name, description: args.description, code: args.code, inputSchema: schema }, who(extra.sessionId));
      deps.events.changed();
      return ok(`saved skill '${skill.name}' (version 1); run it with run_skill`, { name: skill.name, version: skill.version });
    }),
  );

  server.registerTool(
    "update_skill",
    {
      title: "Update a skill",
      description:
        "Change a skill with search/replace edits (each search text must occur exactly once in the current code), " +
        "and/or a new description or input schema. The previous version is kept; rollback_skill restores it.",
      inputSchema: {
        name,
        edits: z
          .array(z.object({ search: z.string().describe("Exact text to find"), replace: z.string().describe("Text to put instead") }))
          .optional()
          .describe("Applied in order; if any fails nothing changes"),
        description: z.string().min(1).max(2000).optional(),
        input_schema: inputSchema.optional(),
      },
    },
    guarded(async (args: { name: string; edits?: Array<{ search: string; replace: string }>; description?: string; input_schema?: Record<string, unknown> }, extra) => {
      if (!args.edits?.length && args.description === undefined && args.input_schema === undefined) {
        throw new SkillError("nothing to update: pass edits, description or input_schema");
      }
      if (args.input_schema) deps.schemas.compile(args.input_schema);
      const current = await deps.store.get(args.name);
      let code = current.code;
      if (args.edits?.length) {
        const edited = applyEdits(current.code, args.edits);
        if (!edited.ok) throw new SkillError(`${edited.message}; skill '${args.name}' is unchanged`);
        code = edited.code;
      }
      const skill = await deps.store.update(args.name, { code, description: args.description, inputSchema: args.input_schema }, who(extra.sessionId));
      deps.events.changed();
      return ok(`updated skill '${skill.name}' to version ${skill.version}`, { name: skill.name, version: skill.version });
    }),
  );

  server.registerTool(
    "delete_skill",
    {
      title: "Delete a skill",
      description: "Remove a skill (the operator can still recover it from the store's .deleted folder).",
      inputSchema: { name },
      annotations: { destructiveHint: true },
    },
    guarded(async (args: { name: string }) => {
      await deps.store.remove(args.name);
      deps.events.changed();
      return ok(`deleted skill '${args.name}'`);
    }),
  );

  server.registerTool(
    "list_skills",
    {
      title: "List skills",
      description: "The saved skills with their descriptions, input schemas and current versions.",
      annotations: { readOnlyHint: true },
    },
    async () => {
      const skills = (await deps.store.list()).map(({ name, description, inputSchema, version, updated }) => ({
        name, description, inputSchema, version, updated: updated.at,
      }));
      return ok(JSON.stringify({ skills }, null, 2), { skills });
    },
  );

  server.registerTool(
    "skill_versions",
    {
      title: "List a skill's versions",
      description: "Every saved version of a skill, oldest first; read one as skill://<name>/versions/<n>.",
      inputSchema: { name },
      annotations: { readOnlyHint: true },
    },
    guarded(async (args: { name: string }) => {
      const versions = await deps.store.versions(args.name);
      return ok(JSON.stringify({ versions }, null, 2), { versions });
    }),
  );

  server.registerTool(
    "rollback_skill",
    {
      title: "Roll a skill back",
      description: "Make an earlier version current again (as a new version, so the rollback can itself be undone).",
      inputSchema: { name, version: z.number().int().min(1).describe("The version to restore") },
    },
    guarded(async (args: { name: string; version: number }, extra) => {
      const skill = await deps.store.rollback(args.name, args.version, who(extra.sessionId));
      deps.events.changed();
      return ok(`skill '${skill.name}' now has version ${args.version}'s code as version ${skill.version}`, {
        name: skill.name,
        version: skill.version,
      });
    }),
  );

  server.registerTool(
    "run_skill",
    {
      title: "Run a skill",
      description: "Run a saved skill in the sandbox with arguments, exactly like execute_code (same limits, egress rules and result).",
      inputSchema: {
        name,
        args: z.record(z.string(), z.unknown()).optional().describe("Arguments, checked against the skill's input schema"),
        timeout_seconds: z.number().int().min(1).max(deps.limits.maxTimeoutSeconds).optional(),
      },
      outputSchema: executionResultShape,
      annotations: { openWorldHint: true, destructiveHint: true },
    },
    guarded(async (args: { name: string; args?: Record<string, unknown>; timeout_seconds?: number }, extra) => {
      const skill = await deps.store.get(args.name);
      checkArgs(deps.schemas, skill, args.args ?? {});
      return runAsTool(deps.execute, extra, {
        code: skillProgram(skill.name, args.args ?? {}),
        timeoutSeconds: args.timeout_seconds ?? deps.limits.defaultTimeoutSeconds,
        caller: { tool: "run_skill", skill: skill.name, session: extra.sessionId, client: server.server.getClientVersion()?.name },
      }, { elicitation: server.server.getClientCapabilities()?.elicitation !== undefined });
    }),
  );
}
