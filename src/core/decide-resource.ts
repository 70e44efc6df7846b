// The part of a decision that the workforce pool, the workforce provider and the OAuth client
// share once a resource with their id exists and this setup may use it (decideUse said so): a
// soft-deleted resource is undeleted first (its id stays reserved for 30 days), a marker that is
// not what it must be is rewritten, and the resource is either adopted by this run, updated, or
// left as it is. What differs between them (the fields each compares, the words of each reason)
// stays in each decider. Pure: no network, no state file.
import { adoptedNote, sameMarker, type Marker } from './ownership.js';
import type { Change } from './stage.js';
import type { StageId } from './stage-graph.js';

/**
 * The marker to write into a resource's description, or undefined when it already says what it
 * must (`wanted`, from decideUse). A resource that carries no iap-auth0 marker (`current`
 * undefined: one someone else made, which this setup adopts) keeps its description as it is.
 */
export function markerToWrite(wanted: Marker | undefined, current: Marker | undefined): Marker | undefined {
  return wanted && current && !sameMarker(wanted, current) ? wanted : undefined;
}

/** An existing resource this setup may use, as its decider sees it. */
export interface ExistingResource {
  stage: StageId;
  /** Its full name, as the plan shows it. */
  resource: string;
  use: 'created' | 'adopted';
  /** The marker it must carry (decideUse): named in the reason of an adopted resource. */
  marker?: Marker;
  /** Soft-deleted: undeleted before anything else. */
  deleted: boolean;
  /** Adopted by this run: the state file does not record it as adopted yet. */
  adopting: boolean;
  /** The fields apply patches (the marker's `description` among them), in the order apply sends them. */
  fields: string[];
}

/** The words of each change; `adopted` follows adoptedNote, `asIs` is the reason of a created resource left alone. */
export interface ExistingReasons {
  undelete: string;
  adopted: string;
  update: string;
  asIs: string;
  /** A value the update waits for (apply fills it in). */
  awaits?: string;
}

/**
 * The changes for an existing resource, in the order apply makes them: `undelete` when it was
 * deleted; then `adopt` (with the fields patched) when this run adopts it, else `update` when fields
 * differ, else `none` unless it was undeleted (the undelete is then the whole story).
 */
export function existingChanges(r: ExistingResource, why: ExistingReasons): Change[] {
  const { stage, resource, fields } = r;
  const changes: Change[] = [];
  if (r.deleted) changes.push({ stage, action: 'undelete', resource, reason: why.undelete });
  if (r.adopting)
    changes.push({ stage, action: 'adopt', resource, reason: `${adoptedNote(r.marker)}${why.adopted}`, fields });
  else if (fields.length)
    changes.push({
      stage,
      action: 'update',
      resource,
      reason: why.update,
      fields,
      ...(why.awaits ? { awaits: why.awaits } : {}),
    });
  else if (!r.deleted)
    changes.push({
      stage,
      action: 'none',
      resource,
      reason: r.use === 'adopted' ? adoptedNote(r.marker) : why.asIs,
    });
  return changes;
}
