//! A ServiceNow instance on loopback (being written).
