//! `ports:` short syntax (`[HOST_IP:][HOST[-HOST]:]CONTAINER[-CONTAINER][/PROTO]`, ranges
//! expanded one entry per container port, like compose) and long syntax.

use serde_yaml_ng::Value;

use super::{Ctx, Result, scalar};
use crate::compose::model::Port;

const PORT_KEYS: &[&str] = &[
    "name",
    "target",
    "published",
    "host_ip",
    "protocol",
    "app_protocol",
    "mode",
];

/// Parse one short-syntax port spec into one or more ports.
pub(super) fn parse_ports(spec: &str) -> std::result::Result<Vec<Port>, String> {
    let bad = |why: &str| format!("invalid port `{spec}`: {why}");
    let (rest, protocol) = match spec.rsplit_once('/') {
        Some((r, p)) => (r, p.to_ascii_lowercase()),
        None => (spec, "tcp".to_string()),
    };
    if !matches!(protocol.as_str(), "tcp" | "udp" | "sctp") {
        return Err(bad("the protocol must be tcp, udp or sctp"));
    }
    let (host_ip, host, container) = split_address(rest).map_err(bad)?;
    let host_ip = host_ip.filter(|ip| !ip.is_empty());
    let (c_start, c_end) = range(container)
        .filter(|(start, _)| *start > 0)
        .ok_or_else(|| bad("the container port must be 1-65535 or a range"))?;
    let host = host.filter(|h| !h.is_empty());
    let host_range = match host {
        Some(h) => Some(range(h).ok_or_else(|| bad("the host port must be 0-65535 or a range"))?),
        None => None,
    };
    let mut out = Vec::new();
    let count = u32::from(c_end - c_start) + 1;
    for i in 0..count {
        let target = c_start + i as u16;
        let published = match host_range {
            None => None,
            Some((h_start, h_end)) if h_start == h_end && count == 1 => Some(h_start.to_string()),
            Some((h_start, h_end)) if count == 1 => Some(format!("{h_start}-{h_end}")),
            Some((h_start, h_end)) => {
                if u32::from(h_end - h_start) + 1 != count {
                    return Err(bad("host and container port ranges differ in length"));
                }
                Some((h_start + i as u16).to_string())
            }
        };
        out.push(Port {
            target,
            published,
            host_ip: host_ip.clone(),
            protocol: protocol.clone(),
            mode: Some("ingress".into()),
            ..Port::default()
        });
    }
    Ok(out)
}

/// `[HOST_IP:][HOST_PORT:]CONTAINER_PORT` (an IPv6 host IP in brackets) → its three parts.
fn split_address(text: &str) -> std::result::Result<(Option<String>, Option<&str>, &str), &str> {
    let (host_ip, rest) = if let Some(after) = text.strip_prefix('[') {
        let (ip, tail) = after.split_once(']').ok_or("unclosed `[` in the host IP")?;
        let tail = tail
            .strip_prefix(':')
            .ok_or("expected `:` after the host IP")?;
        (Some(ip.to_string()), tail)
    } else {
        (None, text)
    };
    let parts: Vec<&str> = rest.split(':').collect();
    match (host_ip, parts.as_slice()) {
        (None, [c]) => Ok((None, None, *c)),
        (ip, [h, c]) => Ok((ip, Some(*h), *c)),
        (None, [ip, h, c]) => Ok((Some((*ip).to_string()), Some(*h), *c)),
        _ => Err("expected [HOST_IP:][HOST_PORT:]CONTAINER_PORT"),
    }
}

/// `80` or `8000-8010` → (start, end).
fn range(text: &str) -> Option<(u16, u16)> {
    let (a, b) = match text.split_once('-') {
        Some((a, b)) => (a, b),
        None => (text, text),
    };
    let start: u16 = a.trim().parse().ok()?;
    let end: u16 = b.trim().parse().ok()?;
    (start <= end).then_some((start, end))
}

impl Ctx<'_> {
    pub(crate) fn ports(&mut self, v: &Value) -> Result<Vec<Port>> {
        let Value::Sequence(seq) = v else {
            if matches!(v, Value::Null) {
                return Ok(Vec::new());
            }
            return Err(self.expected("a list", v));
        };
        let lists = self.each_item(seq, |c, item| match item {
            Value::Mapping(_) => Ok(vec![c.long_port(item)?]),
            other => {
                let spec = scalar(other).ok_or_else(|| c.expected("a port", other))?;
                parse_ports(&spec).map_err(|e| c.err(e))
            }
        })?;
        let mut out: Vec<Port> = Vec::new();
        for ports in lists {
            for p in ports {
                if !out.contains(&p) {
                    out.push(p);
                }
            }
        }
        Ok(out)
    }

    fn long_port(&mut self, v: &Value) -> Result<Port> {
        let mut port = Port {
            protocol: "tcp".into(),
            mode: Some("ingress".into()),
            ..Port::default()
        };
        let mut target = None;
        for (key, val) in self.entries(v)? {
            self.at(&key, |c| {
                match key.as_str() {
                    "name" => port.name = c.opt_string(val)?,
                    "target" => {
                        let t = c.int(val)?;
                        target = Some(
                            u16::try_from(t)
                                .ok()
                                .filter(|t| *t > 0)
                                .ok_or_else(|| c.err(format!("port {t} is not in 1-65535")))?,
                        );
                    }
                    "published" => {
                        port.published = match c.opt_string(val)? {
                            Some(p) if !p.is_empty() => {
                                range(&p).ok_or_else(|| {
                                    c.err(format!("published port `{p}` is not 0-65535 or a range"))
                                })?;
                                Some(p)
                            }
                            _ => None,
                        }
                    }
                    "host_ip" => port.host_ip = c.opt_string(val)?,
                    "protocol" => {
                        let p = c.string(val)?.to_ascii_lowercase();
                        if !matches!(p.as_str(), "tcp" | "udp" | "sctp") {
                            return Err(c.err(format!("protocol `{p}` must be tcp, udp or sctp")));
                        }
                        port.protocol = p;
                    }
                    "app_protocol" => port.app_protocol = c.opt_string(val)?,
                    "mode" => {
                        let m = c.string(val)?;
                        if m != "ingress" && m != "host" {
                            return Err(c.err(format!("port mode `{m}` must be ingress or host")));
                        }
                        port.mode = Some(m);
                    }
                    _ => return Err(c.unknown_key_here(PORT_KEYS)),
                }
                Ok(())
            })?;
        }
        port.target = target.ok_or_else(|| self.err("a port in long syntax needs `target`"))?;
        Ok(port)
    }

    /// Unknown key error for the key at the top of the path.
    pub(crate) fn unknown_key_here(&mut self, known: &[&str]) -> crate::compose::ComposeError {
        let key = self.path.pop().unwrap_or_default();
        let err = self.unknown_key(&key, known);
        self.path.push(key);
        err
    }

    /// `expose:` entries, validated, kept as strings (`3000`, `3000-3005`, `53/udp`).
    pub(crate) fn expose(&self, v: &Value) -> Result<Vec<String>> {
        let items = self.strings(v, false)?;
        for item in &items {
            let (port, proto) = item.split_once('/').unwrap_or((item, "tcp"));
            if range(port).is_none() || !matches!(proto, "tcp" | "udp" | "sctp") {
                return Err(self.err(format!("invalid exposed port `{item}`")));
            }
        }
        let mut out: Vec<String> = Vec::new();
        for i in items {
            if !out.contains(&i) {
                out.push(i);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(spec: &str) -> Port {
        let mut v = parse_ports(spec).unwrap();
        assert_eq!(v.len(), 1, "{spec}");
        v.remove(0)
    }

    #[test]
    fn short_forms() {
        let p = one("80");
        assert_eq!((p.target, p.published.as_deref()), (80, None));
        let p = one("8080:80");
        assert_eq!((p.target, p.published.as_deref()), (80, Some("8080")));
        let p = one("127.0.0.1:8080:80/udp");
        assert_eq!(p.host_ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(p.protocol, "udp");
        let p = one("127.0.0.1::80");
        assert_eq!(
            (p.published, p.host_ip.as_deref()),
            (None, Some("127.0.0.1"))
        );
        let p = one("[::1]:6000:6001");
        assert_eq!(p.host_ip.as_deref(), Some("::1"));
        assert_eq!(p.published.as_deref(), Some("6000"));
        let p = one("8000-8010:80");
        assert_eq!(p.published.as_deref(), Some("8000-8010"));
    }

    #[test]
    fn ranges_expand() {
        let v = parse_ports("3000-3002").unwrap();
        assert_eq!(
            v.iter().map(|p| p.target).collect::<Vec<_>>(),
            [3000, 3001, 3002]
        );
        let v = parse_ports("9090-9091:8080-8081").unwrap();
        assert_eq!(v[1].target, 8081);
        assert_eq!(v[1].published.as_deref(), Some("9091"));
    }

    #[test]
    fn bad_specs() {
        for bad in [
            "",
            "abc",
            "80/xyz",
            "99999",
            "1:2:3:4",
            "9090-9092:8080-8081",
            "10-5",
            "[::1",
        ] {
            assert!(parse_ports(bad).is_err(), "{bad:?}");
        }
    }
}
