/**
 * Short, bounded descriptions of what a resource provisions, for log lines and error messages:
 * at most a few subjects, long ids cut, the rest counted (`User 1b2c…, User 3d4e… and 1,998 more`).
 * Full values stay in structured fields and outputs.
 */
import type { ParameterState, SubjectState } from "./state";

/** Subjects named in a description before the rest is only counted. */
const SUBJECTS_SHOWN = 3;
/** Longest id shown whole (a GUID is 36). */
const ID_SHOWN = 40;

/** An id cut to a readable length: GUIDs whole, anything longer cut with `…`. */
export function shortId(id: string): string {
  return id.length > ID_SHOWN ? `${id.slice(0, ID_SHOWN)}…` : id;
}

/** Any text cut to `max` characters, with how much was left out. */
export function cut(text: string, max = 2000): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length - max} more characters)` : text;
}

function describeSubject(s: SubjectState): string {
  const links = s.links;
  const members =
    links === undefined
      ? ""
      : "allMembers" in links
        ? " (+all direct members)"
        : links.members.length > 0
          ? ` (+${links.members.length.toLocaleString("en-US")} members)`
          : "";
  return `${s.objectTypeName} ${shortId(s.objectId)}${members}`;
}

/** `Group 8213… (+23 members), User 1b2c… and 4 more` */
export function describeSubjects(parameters: readonly ParameterState[]): string {
  const all = parameters.flatMap((p) => p.subjects);
  const shown = all.slice(0, SUBJECTS_SHOWN).map(describeSubject).join(", ");
  const rest = all.length - SUBJECTS_SHOWN;
  return rest > 0 ? `${shown} and ${rest.toLocaleString("en-US")} more` : shown;
}
