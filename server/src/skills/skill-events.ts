/**
 * @module Tells every live MCP session that the set of skills changed, so each can send
 * `notifications/resources/list_changed` to its client.
 */
export interface SkillEvents {
  subscribe(listener: () => void): () => void;
  changed(): void;
}

export function createSkillEvents(): SkillEvents {
  const listeners = new Set<() => void>();
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    changed() {
      for (const listener of listeners) {
        try {
          listener();
        } catch {
          // A session that went away must not stop the others from hearing about it.
        }
      }
    },
  };
}
