/**
 * @module How a skill runs: its arguments are checked against its input schema in the gateway,
 * then a small program that imports the skill from the read-only store and calls its default
 * export goes through the same sandbox path as execute_code.
 */
import type { SchemaCompiler } from "./input-schema.ts";
import type { SkillMeta } from "./skill-store.ts";
import { SkillError } from "./skill-store.ts";

/** The folder the sandbox mounts the store at. */
export const SANDBOX_SKILLS_DIR = "/skills";

export function checkArgs(schemas: SchemaCompiler, meta: SkillMeta, args: unknown): void {
  const validate = schemas.compile(meta.inputSchema);
  if (!validate(args)) {
    const e = validate.errors?.[0];
    const where = e?.instancePath ? `args${e.instancePath.replace(/\//g, ".")}` : "args";
    throw new SkillError(`${where} ${e?.message ?? "is invalid"} (skill '${meta.name}' expects: ${JSON.stringify(meta.inputSchema)})`);
  }
}

/** The program that runs a skill. Arguments travel as a JSON literal inside it, never via argv. */
export function skillProgram(name: string, args: unknown): string {
  return [
    `import run from ${JSON.stringify(`${SANDBOX_SKILLS_DIR}/${name}/skill.ts`)};`,
    `if (typeof run !== "function") throw new Error("skill '${name}' has no default export function");`,
    `const result = await run(${JSON.stringify(args ?? {})});`,
    `if (result !== undefined) console.log(typeof result === "string" ? result : JSON.stringify(result, null, 2));`,
  ].join("\n");
}
