/**
 * @module Targeted edits to a skill's code: search/replace blocks. Each search text must occur
 * exactly once, so an edit never lands somewhere the model did not mean; the first block that
 * fails stops the whole update and nothing is changed.
 */

export interface Edit {
  search: string;
  replace: string;
}

export type EditResult = { ok: true; code: string } | { ok: false; message: string };

export function applyEdits(code: string, edits: Edit[]): EditResult {
  let current = code;
  for (const [i, edit] of edits.entries()) {
    if (edit.search === "") return { ok: false, message: `edit ${i + 1}: search text is empty` };
    const first = current.indexOf(edit.search);
    if (first === -1) {
      return { ok: false, message: `edit ${i + 1}: search text not found in the current code (read skill://<name> for it)` };
    }
    if (current.indexOf(edit.search, first + 1) !== -1) {
      return { ok: false, message: `edit ${i + 1}: search text occurs more than once; include more surrounding lines` };
    }
    current = current.slice(0, first) + edit.replace + current.slice(first + edit.search.length);
  }
  return { ok: true, code: current };
}
