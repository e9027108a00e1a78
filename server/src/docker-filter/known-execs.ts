/**
 * @module The exec ids this filter created. Only those may be started or inspected. Bounded, so a
 * long-running gateway does not grow without limit; the oldest ids are forgotten first.
 */
export interface KnownExecs {
  add(id: string): void;
  has(id: string): boolean;
}

export function createKnownExecs(capacity = 10_000): KnownExecs {
  const ids = new Set<string>();
  return {
    add(id) {
      ids.add(id);
      if (ids.size > capacity) ids.delete(ids.values().next().value!);
    },
    has: (id) => ids.has(id),
  };
}
