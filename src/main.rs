//! The `relgate` command: parses arguments, calls the library, renders
//! warnings and errors, and maps outcomes to exit codes (0 ok, 1 finding,
//! 2 error).

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}
