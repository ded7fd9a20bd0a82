//! A few commands a simulated container answers to through `exec`, enough
//! for demos (`kubectl exec pod -- hostname`, `env`, `echo`, `sh -c "…"`,
//! `sh -c "exit 3"`).

use std::collections::BTreeMap;

use crate::kubelet::runtime::{ContainerSpec, ExecOutput};

fn ok(stdout: String) -> ExecOutput {
    ExecOutput {
        exit_code: 0,
        stdout: stdout.into_bytes(),
        stderr: Vec::new(),
    }
}

/// Runs `command` as the simulated container would.
pub fn run(spec: &ContainerSpec, command: &[String]) -> ExecOutput {
    let Some((program, args)) = command.split_first() else {
        return not_found("");
    };
    let name = program.rsplit('/').next().unwrap_or(program);
    match name {
        "sh" | "bash" | "ash" if args.first().map(String::as_str) == Some("-c") => {
            let script: Vec<String> = args
                .get(1)
                .map(|s| s.split_whitespace().map(str::to_string).collect())
                .unwrap_or_default();
            run(spec, &script)
        }
        "echo" => ok(format!("{}\n", args.join(" "))),
        "hostname" => ok(format!("{}\n", spec.pod_name)),
        "true" => ok(String::new()),
        "exit" => ExecOutput {
            exit_code: args.first().and_then(|c| c.parse().ok()).unwrap_or(0),
            ..ExecOutput::default()
        },
        "false" => ExecOutput {
            exit_code: 1,
            ..ExecOutput::default()
        },
        "env" | "printenv" => {
            let mut env: BTreeMap<String, String> = spec.env.iter().cloned().collect();
            env.insert("HOSTNAME".to_string(), spec.pod_name.clone());
            env.insert(
                "PATH".to_string(),
                "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_string(),
            );
            match args.first() {
                Some(key) if name == "printenv" => match env.get(key) {
                    Some(value) => ok(format!("{value}\n")),
                    None => ExecOutput {
                        exit_code: 1,
                        ..ExecOutput::default()
                    },
                },
                _ => ok(env.iter().map(|(k, v)| format!("{k}={v}\n")).collect()),
            }
        }
        "cat" if args.first().map(String::as_str) == Some("/etc/hostname") => {
            ok(format!("{}\n", spec.pod_name))
        }
        "ls" => ok("bin\ndev\netc\nhome\nproc\nroot\nsys\ntmp\nusr\nvar\n".to_string()),
        _ => not_found(program),
    }
}

fn not_found(program: &str) -> ExecOutput {
    ExecOutput {
        exit_code: 127,
        stdout: Vec::new(),
        stderr: format!(
            "OCI runtime exec failed: exec failed: unable to start container process: exec: \"{program}\": executable file not found in $PATH: unknown\n"
        )
        .into_bytes(),
    }
}
