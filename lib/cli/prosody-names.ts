/**
 * @module prosody-names
 * Prosody options that this server does not have, and what to use instead: `xmpp-server check`
 * explains them when a config carries them over. Names a module declares are never looked up
 * here (they are known options).
 */
const NO_BOSH = 'there is no BOSH here: clients use the WebSocket (module websocket)';
const SYSTEMD = 'the server runs in the foreground: let systemd supervise it (examples/xmpp-server.service)';
const NO_S2S = 'server-to-server federation is not implemented';
const NO_XEP0114 = 'external components (XEP-0114) are not supported; a Component section names a module instead';

export const PROSODY_ONLY: Readonly<Record<string, string>> = Object.freeze({
  authentication: 'accounts are always stored SCRAM-hashed in the server\'s storage (Prosody\'s "internal_hashed"): remove it',
  admins: 'enable the server_contact_info module, which declares admins',
  cross_domain_websocket: 'use websocket_allowed_origins (the Origin policy of the WebSocket)',
  cross_domain_bosh: NO_BOSH,
  consider_bosh_secure: `${NO_BOSH}; for the WebSocket use consider_websocket_secure`,
  bosh_max_inactivity: NO_BOSH,
  bosh_ports: NO_BOSH,
  interfaces: 'use c2s_interfaces and http_interfaces (https_interfaces, c2s_direct_tls_interfaces)',
  legacy_ssl_ports: 'use c2s_direct_tls_ports',
  legacy_ssl_interfaces: 'use c2s_direct_tls_interfaces',
  ssl: 'use certificate and key (PEM file paths, globally or per VirtualHost)',
  certificates: 'use certificate and key (PEM file paths, not a folder)',
  https_certificate: 'HTTPS uses each host\'s certificate and key (chosen by SNI)',
  https_ssl: 'HTTPS uses each host\'s certificate and key (chosen by SNI)',
  tls_profile: 'TLS follows Node\'s defaults (TLS 1.2 and later)',
  default_storage: 'use storage ("sqlite" or "memory")',
  daemonize: SYSTEMD,
  pidfile: SYSTEMD,
  prosody_user: 'set User= in the systemd unit',
  prosody_group: 'set Group= in the systemd unit',
  run_as_root: 'set User= in the systemd unit',
  network_backend: 'not needed: Node\'s event loop does the networking',
  use_libevent: 'not needed: Node\'s event loop does the networking',
  s2s_ports: NO_S2S,
  s2s_interfaces: NO_S2S,
  s2s_secure_auth: NO_S2S,
  s2s_require_encryption: NO_S2S,
  component_ports: NO_XEP0114,
  component_interfaces: NO_XEP0114,
  component_secret: NO_XEP0114,
  enabled: 'to disable a VirtualHost, remove its section',
  statistics: 'enable the http_openmetrics module',
  statistics_interval: 'enable the http_openmetrics module',
});
