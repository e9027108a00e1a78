/**
 * Writes proxy/addons/api-config.schema.json from the server's zod schema. Run after changing
 * server/src/config/api-config.ts: `npm run schema`. A unit test fails while the two differ.
 */
import { writeFileSync } from "node:fs";
import { apiConfigJsonSchema } from "../server/src/config/api-config.ts";

export const SCHEMA_FILE = new URL("../proxy/addons/api-config.schema.json", import.meta.url);

writeFileSync(SCHEMA_FILE, JSON.stringify(apiConfigJsonSchema(), null, 2) + "\n");
