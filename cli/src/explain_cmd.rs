//! `nestscope explain CODE…`: what the SVM exit table says about exit codes or intercepts (APM
//! name, Linux name, intercept bit, APM section, meaning), e.g. `explain 0x7c`, `explain -1`,
//! `explain VMEXIT_NPF`, `explain MSR_PROT`.
use crate::Failure;
use crate::args::Args;
use nestscope_core::svm::exit_table::{self, ExitInfo};
use nestscope_core::svm::{SvmExitCode, explain};

/// Parses one code: hex (0x…), decimal, a negative number (-1 = VMEXIT_INVALID) or a name (APM
/// "VMEXIT_…", Linux "SVM_EXIT_…" or intercept "…_PROT"/"CR3_WRITE", case-insensitive).
fn lookup(s: &str) -> Result<ExitInfo, Failure> {
    let code = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()
    } else if let Ok(n) = s.parse::<i64>() {
        Some(n as u64)
    } else {
        None
    };
    let found = match code {
        Some(c) => explain(SvmExitCode(c)),
        None => exit_table::all().find(|e| {
            e.apm_name.eq_ignore_ascii_case(s)
                || e.linux_name.is_some_and(|l| l.eq_ignore_ascii_case(s))
                || e.intercept.is_some_and(|i| i.eq_ignore_ascii_case(s))
        }),
    };
    found.ok_or_else(|| Failure::input(format!("`{s}` is not an SVM exit code or intercept the APM defines")))
}

pub fn run(a: &Args) -> Result<u8, Failure> {
    if a.positional.is_empty() {
        return Err(Failure::input("explain needs at least one exit code or name (e.g. 0x7c, -1, VMEXIT_NPF)"));
    }
    let infos = a.positional.iter().map(|s| lookup(s)).collect::<Result<Vec<_>, _>>()?;
    if a.flag("json") {
        let v = serde_json::to_string_pretty(&infos).map_err(|e| Failure::input(e.to_string()))?;
        println!("{v}");
        return Ok(0);
    }
    for e in infos {
        let code = if e.code > 0xFFFF_FFFF { format!("{}", e.code as i64) } else { format!("{:#x}", e.code) };
        println!("{code} {}", e.apm_name);
        println!("  Linux:     {}", e.linux_name.unwrap_or("(none)"));
        match e.intercept {
            Some(i) => println!("  intercept: bit {} ({i})", e.code),
            None => println!("  intercept: none (not an intercept bit)"),
        }
        println!("  APM:       {}", e.section);
        println!("  meaning:   {}", e.meaning);
    }
    Ok(0)
}
