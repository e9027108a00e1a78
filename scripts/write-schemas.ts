/**
 * Writes the JSON Schemas the proxy (Python) checks against, from the gateway's zod schemas, so
 * each contract between the two is defined once: the API config (server/src/config/api-config.ts)
 * and the egress event record (server/src/shared/egress-event.ts). Run after changing either:
 * `npm run schema`. Unit tests fail while a committed file differs.
 */
import { writeFileSync } from "node:fs";
import { apiConfigJsonSchema } from "../server/src/config/api-config.ts";
import { egressEventJsonSchema } from "../server/src/shared/egress-event.ts";

const write = (name: string, schema: Record<string, unknown>) =>
  writeFileSync(new URL(`../proxy/addons/${name}`, import.meta.url), JSON.stringify(schema, null, 2) + "\n");

write("api-config.schema.json", apiConfigJsonSchema());
write("egress-event.schema.json", egressEventJsonSchema());
