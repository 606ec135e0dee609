/** A mail as the alert policy decides it and the notifier sends it. */
import type { Status } from "./state.ts";

export interface Alert {
  /** Unique and stable: the store keys its outbox on it. */
  id: string;
  cluster: string;
  /** "incident": an event that latched (mailed at once, once), when no status mail goes out with it. */
  kind: "transition" | "resolved" | "reminder" | "incident";
  from: Status | null;
  to: Status;
  createdAt: string;
  subject: string;
  text: string;
  html: string;
}
