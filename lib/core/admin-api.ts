/**
 * @module admin-api
 * What administration modules (the `admin_shell`, a web admin, metrics) may do to the running
 * server through `module.server.control`: list and reload modules, reload the config file, stop
 * the server; and the events they use to describe sessions (`session-info`) and to learn that
 * the config changed (`config-reloaded`).
 */
import type { Config } from './config.js';
import type { Session } from './session-view.js';

/** What a config reload did: every entry is one line for the operator. */
export interface ConfigReloadReport {
  /** Changes that took effect (a module reloaded with its new options, the log level, ...). */
  readonly applied: string[];
  /** Changes that need a restart (ports, data_path, storage, hosts added or removed, ...). */
  readonly restart: string[];
  /** Changes that failed to apply (a module that did not load again), with the reason. */
  readonly failed: string[];
}

/** The server's controls, for administration modules (`module.server.control`). */
export interface ServerControl {
  /** Names of the modules loaded on a host ('*': global modules' own instances), in load order. */
  loadedModules(host: string): string[];
  /**
   * Reload a module (unload, then load with its options read again): on `host`, or on every
   * host where it is loaded when `host` is omitted. A global module is reloaded everywhere (its
   * own instance too). Modules on those hosts that depend on it come back as well.
   * Resolves to `host: module` entries of what was reloaded.
   * @throws XS_ERR_MODULE_NOT_FOUND when the module is not loaded there; load errors as at start.
   */
  reloadModule(name: string, host?: string): Promise<string[]>;
  /**
   * Read the config file again and apply what can change live: modules whose options changed
   * are reloaded, modules enabled or disabled are loaded or unloaded, the log level and session
   * options (for new sessions) change; what cannot change live is reported. Fires `config-reloaded`.
   * @throws XS_ERR_CONFIG_LOAD, XS_ERR_CONFIG_INVALID, XS_ERR_OPTION_INVALID (nothing is changed then)
   */
  reloadConfig(): Promise<ConfigReloadReport>;
  /** Stop the server gracefully (as SIGTERM does); resolves once it stopped. */
  shutdown(reason?: string): Promise<void>;
}

/**
 * `session-info` (the session's host bus): modules describe a session for admin tools by adding
 * short fields to `info` (stream management adds `sm`); handlers return nothing.
 */
export interface SessionInfoEvent {
  readonly session: Session;
  readonly info: Record<string, string>;
}

/** `config-reloaded` (global bus): the config was read again and applied. */
export interface ConfigReloadedEvent {
  readonly config: Config;
  readonly report: ConfigReloadReport;
}

declare module './api.js' {
  interface Events {
    /** Host bus: describe a session for admin tools (see SessionInfoEvent). */
    'session-info': SessionInfoEvent;
    /** Global: the config file was read again and applied (see ConfigReloadedEvent). */
    'config-reloaded': ConfigReloadedEvent;
  }
}
