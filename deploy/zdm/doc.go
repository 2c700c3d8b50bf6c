// Package zdm holds what the operator-facing ZDM commands share: the proxy
// config rendered from the inventory (the single source of truth for the
// playbooks and for drift detection), its hash, the fleet lock, the resume
// journal, the rollback script and the live status probe.
//
// Config hash contract: the proxy reports config_sha256 = hex SHA-256 of the
// raw bytes of the config file it last loaded successfully; zdmctl compares
// it with the SHA-256 of the text Render produces for that host.
package zdm
