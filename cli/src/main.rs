//! `nestscope`: the headless command-line front end of nestscope-core (CONTRACT §3).
mod args;
mod bench_cmd;
mod checkpoint_cmd;
mod commands;
mod compare_cmd;
mod exits_cmd;
mod explain_cmd;
mod image_cmd;
mod migrate_cmd;
mod pat_layers_cmd;
mod scenario_cmd;
mod share_cmd;

use std::process::ExitCode;

/// A command failure: the exit status (1 run/check failed, 2 bad input) and a one-line message.
pub struct Failure {
    pub status: u8,
    pub message: String,
}

impl Failure {
    pub fn input(message: impl Into<String>) -> Self {
        Failure { status: 2, message: message.into() }
    }
}

fn main() -> ExitCode {
    // `nestscope … | head` closes stdout early: end quietly instead of panicking in println!.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info.payload().downcast_ref::<String>().map(String::as_str).unwrap_or("");
        if msg.contains("Broken pipe") {
            std::process::exit(0);
        }
        default_hook(info);
    }));
    let argv: Vec<String> = std::env::args().skip(1).collect();
    match commands::dispatch(&argv) {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            // Whatever a message quotes, no raw control byte reaches the terminal (the usage text
            // after an unknown command keeps its line breaks).
            let shown: String = f.message.chars().map(|c| if c.is_control() && c != '\n' { '?' } else { c }).collect();
            eprintln!("nestscope: {shown}");
            ExitCode::from(f.status)
        }
    }
}
