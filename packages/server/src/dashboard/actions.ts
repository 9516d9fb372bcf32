import { RESERVED_EVENTS } from "../socket/reasons.js";
import { shortString } from "./node-answers.js";

/** What the page may do to the app's sockets (cluster-wide, through the app's adapter). */
export type DashboardAction =
  | { type: "disconnect"; nsp: string; id: string }
  | { type: "join" | "leave"; nsp: string; id: string; room: string }
  | { type: "emit"; nsp: string; to: string; event: string; payload: unknown; hasPayload: boolean };

/** What an action needs of an app namespace. */
export interface ActionTarget {
  in(room: string): {
    disconnectSockets(close?: boolean): void;
    socketsJoin(room: string): void;
    socketsLeave(room: string): void;
  };
  to(room: string): { emit(event: string, ...args: unknown[]): boolean };
}

/** Thrown (and sent to the page as `{ error: { code, message } }`) for an action that cannot run. */
export class ActionError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "ActionError";
    this.code = code;
  }
}

/** The stable codes of {@link ActionError}. */
export const ActionErrorCode = {
  /** The action is not one of the known shapes, or a field is missing, too long or of the wrong type. */
  INVALID: "SB_ERR_DASHBOARD_INVALID_ACTION",
  /** `payload` is not JSON text. */
  INVALID_PAYLOAD: "SB_ERR_DASHBOARD_INVALID_PAYLOAD",
  /** The namespace does not exist on the node that serves the page. */
  UNKNOWN_NAMESPACE: "SB_ERR_DASHBOARD_UNKNOWN_NAMESPACE",
  /** The dashboard was started with `readOnly: true`. */
  READ_ONLY: "SB_ERR_DASHBOARD_READ_ONLY",
} as const;

const MAX_NAME = 256;

/** The page's action, checked; throws {@link ActionError} when malformed. */
export function parseAction(value: unknown, maxPayloadBytes: number): DashboardAction {
  if (typeof value !== "object" || value === null) {
    throw new ActionError(ActionErrorCode.INVALID, "an action is an object");
  }
  const a = value as Record<string, unknown>;
  const nsp = shortString(a.nsp, MAX_NAME);
  if (nsp === null || !nsp.startsWith("/")) {
    throw new ActionError(ActionErrorCode.INVALID, "nsp: a namespace name starting with /");
  }
  const field = (name: string): string => {
    const v = shortString(a[name], MAX_NAME);
    if (v === null || v === "") {
      throw new ActionError(
        ActionErrorCode.INVALID,
        `${name}: a string of 1 to ${MAX_NAME} characters`,
      );
    }
    return v;
  };
  switch (a.type) {
    case "disconnect":
      return { type: "disconnect", nsp, id: field("id") };
    case "join":
    case "leave":
      return { type: a.type, nsp, id: field("id"), room: field("room") };
    case "emit": {
      const event = field("event");
      if (RESERVED_EVENTS.has(event)) {
        throw new ActionError(ActionErrorCode.INVALID, `event: "${event}" is reserved`);
      }
      const text = a.payload ?? "";
      if (typeof text !== "string" || Buffer.byteLength(text) > maxPayloadBytes) {
        throw new ActionError(
          ActionErrorCode.INVALID_PAYLOAD,
          `payload: JSON text of at most ${maxPayloadBytes} bytes`,
        );
      }
      let payload: unknown;
      const hasPayload = text.trim() !== "";
      if (hasPayload) {
        try {
          payload = JSON.parse(text);
        } catch (err) {
          throw new ActionError(
            ActionErrorCode.INVALID_PAYLOAD,
            `payload: not JSON (${(err as Error).message})`,
          );
        }
      }
      return { type: "emit", nsp, to: field("to"), event, payload, hasPayload };
    }
    default:
      throw new ActionError(ActionErrorCode.INVALID, "type: one of disconnect, join, leave, emit");
  }
}

/**
 * Runs `action` on `target` (the app's namespace): through the namespace's broadcast
 * operator, so the adapter carries it to the node that holds the socket or room members.
 */
export function runAction(target: ActionTarget, action: DashboardAction): void {
  switch (action.type) {
    case "disconnect":
      target.in(action.id).disconnectSockets(true);
      return;
    case "join":
      target.in(action.id).socketsJoin(action.room);
      return;
    case "leave":
      target.in(action.id).socketsLeave(action.room);
      return;
    case "emit":
      if (action.hasPayload) target.to(action.to).emit(action.event, action.payload);
      else target.to(action.to).emit(action.event);
      return;
  }
}
