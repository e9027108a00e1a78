/**
 * @module Skills as MCP resources (`skill://{name}`, `skill://{name}/versions/{version}`) and the
 * `review_skill` prompt that loads one into the conversation. Each session subscribes to store
 * changes and tells its client with `notifications/resources/list_changed`.
 */
import { ResourceTemplate, type McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { SkillEvents } from "../skills/skill-events.ts";
import type { Skill, SkillStore } from "../skills/skill-store.ts";

function contents(uri: string, skill: Skill) {
  const { code, ...meta } = skill;
  return {
    contents: [
      { uri, mimeType: "text/x-typescript", text: code },
      { uri: `${uri}#metadata`, mimeType: "application/json", text: JSON.stringify(meta, null, 2) },
    ],
  };
}

function one(value: string | string[] | undefined): string {
  return Array.isArray(value) ? (value[0] ?? "") : (value ?? "");
}

export function registerSkillResources(server: McpServer, store: SkillStore, events: SkillEvents): void {
  server.registerResource(
    "skill",
    new ResourceTemplate("skill://{name}", {
      list: async () => ({
        resources: (await store.list()).map((s) => ({
          uri: `skill://${s.name}`,
          name: s.name,
          description: s.description,
          mimeType: "text/x-typescript",
        })),
      }),
    }),
    { title: "Saved skill", description: "A saved skill's current code, with its metadata" },
    async (uri, { name }) => contents(uri.href, await store.get(one(name))),
  );

  server.registerResource(
    "skill-version",
    new ResourceTemplate("skill://{name}/versions/{version}", { list: undefined }),
    { title: "Skill version", description: "One saved version of a skill" },
    async (uri, { name, version }) => contents(uri.href, await store.version(one(name), Number(one(version)))),
  );

  server.registerPrompt(
    "review_skill",
    {
      title: "Review or adapt a skill",
      description: "Loads a saved skill's code and metadata into the conversation",
      argsSchema: { name: z.string().describe("The skill to load") },
    },
    async ({ name }) => {
      const skill = await store.get(name);
      return {
        messages: [
          {
            role: "user",
            content: {
              type: "text",
              text:
                `Here is the Airlock skill '${skill.name}' (version ${skill.version}): ${skill.description}\n\n` +
                `Input schema:\n${JSON.stringify(skill.inputSchema, null, 2)}\n\nCode:\n\`\`\`ts\n${skill.code}\n\`\`\`\n\n` +
                "Review it for correctness and robustness, or adapt it to the task at hand. Change it with update_skill " +
                "(search/replace edits) and test it with run_skill.",
            },
          },
        ],
      };
    },
  );

  const unsubscribe = events.subscribe(() => {
    if (server.isConnected()) server.sendResourceListChanged();
  });
  const previous = server.server.onclose;
  server.server.onclose = () => {
    unsubscribe();
    previous?.();
  };
}
