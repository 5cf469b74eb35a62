//! One module per subcommand: its `Args` (clap) and `run`.

pub mod admin;
pub mod clap_zh;
pub mod coverage;
pub mod db;
pub mod demo;
pub mod files;
pub mod import;
pub mod lang;
pub mod messages;
pub mod nearest;
pub mod points;
pub mod roads;
pub mod serve;
pub mod table;
