/**
 * @module The schema of `apis/<name>/config.json`: one API an operator lets sandboxed code call.
 * Parsed strictly so a typo is reported instead of silently ignored. Credential entries carry the
 * *name* the code writes and where the proxy injects it; secret values never pass through here.
 */
import { z } from "zod";

/** Exact DNS hostnames, lower case. No schemes, ports, paths or wildcards. */
export const hostname = z
  .string()
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/, {
    message: "must be a lower-case hostname such as api.example.com (no scheme, port or path)",
  });

export const credentialName = z.string().regex(/^[A-Z][A-Z0-9_]{2,63}$/, {
  message: "must be UPPER_SNAKE_CASE, 3-64 characters, starting with a letter",
});

const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

const credential = z
  .object({
    description: z.string().max(500).optional().describe("What the credential grants, for the model"),
    header: z.string().regex(/^[A-Za-z0-9-]{1,64}$/).optional().describe("Header the name may appear in"),
    query: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).optional().describe("Query parameter the name may appear in"),
    env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).optional().describe("Proxy environment variable holding the value"),
    file: z.string().startsWith("/").optional().describe("File in the proxy container holding the value"),
  })
  .strict()
  .refine((c) => c.header !== undefined || c.query !== undefined, {
    message: "needs a 'header' or a 'query' location for the proxy to inject it",
  })
  .refine((c) => (c.env === undefined) !== (c.file === undefined), {
    message: "needs exactly one value source: 'env' or 'file'",
  });

export const apiConfigSchema = z
  .object({
    description: z.string().min(1).max(2000),
    domains: z.array(hostname).min(1).max(64),
    credentials: z.record(credentialName, credential).default({}),
    referenceUrl: z.url().optional(),
    restrictedMethods: z.array(z.enum(HTTP_METHODS)).default([]),
    active: z.boolean().default(true),
  })
  .strict();

export type ApiConfig = z.infer<typeof apiConfigSchema>;

/** Folder names become API names: short, lower-case, no path tricks. */
export const apiName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/);
