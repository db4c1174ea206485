//! The CLI as a person runs it, a module a command; and (`secrets`) every line it prints, on
//! stdout and stderr, is free of the client secret and of the access tokens, whatever went
//! wrong.

mod attach_file;
mod describe;
mod on_premise;
mod poll_changes;
mod secrets;
mod serve_simulator;
mod support;
