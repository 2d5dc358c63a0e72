//! Who holds a host port: a container of some project, or another process (DDEV's
//! `port-diagnose`; compose just fails).

use crate::docker::Engine;

/// The host port named in an engine error about an allocated or busy port.
pub(super) fn port_in_error(message: &str) -> Option<u16> {
    if !(message.contains("port is already allocated")
        || message.contains("address already in use"))
    {
        return None;
    }
    // "Bind for 0.0.0.0:8080 failed: port is already allocated"
    // "listen tcp4 0.0.0.0:8080: bind: address already in use"
    let re = regex::Regex::new(r":(\d{1,5})(?: failed|: bind)").ok()?;
    re.captures(message)?.get(1)?.as_str().parse().ok()
}

/// A sentence naming what holds `port`.
pub(super) async fn describe_holder(engine: &Engine, port: u16) -> String {
    if let Ok(containers) = engine.containers_publishing(port).await
        && let Some(c) = containers.first()
    {
        return if c.project.is_empty() {
            format!("container `{}`", c.name)
        } else {
            format!(
                "container `{}` (service `{}` of project `{}`)",
                c.name, c.service, c.project
            )
        };
    }
    match tokio::task::spawn_blocking(move || process_listening(port)).await {
        Ok(Some((pid, name))) => format!("process `{name}` (pid {pid})"),
        _ => "another process (run `ss -ltnp` to see which)".to_string(),
    }
}

/// Find a local process listening on TCP `port` through /proc (Linux only).
fn process_listening(port: u16) -> Option<(u32, String)> {
    let mut inodes = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            // local_address is HEXIP:HEXPORT, st 0A is LISTEN, inode is column 9.
            if cols.len() > 9 && cols[3] == "0A" {
                let p = cols[1]
                    .rsplit(':')
                    .next()
                    .and_then(|h| u16::from_str_radix(h, 16).ok());
                if p == Some(port) {
                    inodes.push(format!("socket:[{}]", cols[9]));
                }
            }
        }
    }
    if inodes.is_empty() {
        return None;
    }
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(fds) = std::fs::read_dir(entry.path().join("fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            if let Ok(target) = std::fs::read_link(fd.path())
                && inodes.iter().any(|i| target.as_os_str() == i.as_str())
            {
                let name = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
                return Some((pid, name.trim().to_string()));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_port_in_engine_messages() {
        assert_eq!(
            port_in_error(
                "driver failed programming external connectivity: Bind for 0.0.0.0:8080 failed: port is already allocated"
            ),
            Some(8080)
        );
        assert_eq!(
            port_in_error(
                "Error starting userland proxy: listen tcp4 127.0.0.1:5432: bind: address already in use"
            ),
            Some(5432)
        );
        assert_eq!(port_in_error("no such image"), None);
    }

    #[test]
    fn finds_a_listening_process() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (pid, _name) = process_listening(port).expect("our own listener is found");
        assert_eq!(pid, std::process::id());
    }
}
