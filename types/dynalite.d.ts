declare module "dynalite" {
  import type { Server } from "node:http";

  interface DynaliteOptions {
    /** Directory for a persistent (LevelDB) store; in memory when absent. */
    path?: string;
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
  }
  export default function dynalite(options?: DynaliteOptions): Server;
}
