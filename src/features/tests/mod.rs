//! The provider's tests, call by call, by what they exercise.

mod auth;
mod connection;
mod create;
mod fixture;
mod groups;
mod lifecycle;
