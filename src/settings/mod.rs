//! The admin's settings: the platform's form (its fields, what it sends), and the settings
//! validated from it, which every later call trusts.

pub mod fields;
pub mod form;
pub mod key;
pub mod validated;
pub mod writes;
