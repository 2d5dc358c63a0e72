//! Known public CDNs (after LocalCDN's mappings and the hosts in the peers research), so a
//! finding can say "jsDelivr" rather than just a host, and hosts known to be compromised.

/// (host, name). A host matches itself and its subdomains listed here exactly.
const CDNS: &[(&str, &str)] = &[
    ("cdn.jsdelivr.net", "jsDelivr"),
    ("fastly.jsdelivr.net", "jsDelivr"),
    ("gcore.jsdelivr.net", "jsDelivr"),
    ("unpkg.com", "unpkg"),
    ("www.unpkg.com", "unpkg"),
    ("cdnjs.cloudflare.com", "cdnjs"),
    ("ajax.cloudflare.com", "Cloudflare"),
    ("ga.jspm.io", "JSPM"),
    ("jspm.dev", "JSPM"),
    ("esm.sh", "esm.sh"),
    ("cdn.skypack.dev", "Skypack"),
    ("code.jquery.com", "jQuery CDN"),
    ("ajax.googleapis.com", "Google Hosted Libraries"),
    ("fonts.googleapis.com", "Google Fonts"),
    ("fonts.gstatic.com", "Google Fonts"),
    ("ajax.aspnetcdn.com", "Microsoft Ajax CDN"),
    ("ajax.microsoft.com", "Microsoft Ajax CDN"),
    ("stackpath.bootstrapcdn.com", "BootstrapCDN"),
    ("maxcdn.bootstrapcdn.com", "BootstrapCDN"),
    ("netdna.bootstrapcdn.com", "BootstrapCDN"),
    ("use.fontawesome.com", "Font Awesome"),
    ("kit.fontawesome.com", "Font Awesome"),
    ("cdn.tailwindcss.com", "Tailwind Play CDN"),
    ("cdn.datatables.net", "DataTables CDN"),
    ("cdn.plyr.io", "Plyr CDN"),
    ("vjs.zencdn.net", "Video.js CDN"),
    ("cdn.materialdesignicons.com", "Material Design Icons CDN"),
    ("raw.githubusercontent.com", "GitHub raw"),
    ("raw.githack.com", "githack"),
    ("rawcdn.githack.com", "githack"),
    ("cdn.rawgit.com", "RawGit (shut down)"),
    ("use.typekit.net", "Adobe Fonts"),
    ("p.typekit.net", "Adobe Fonts"),
    ("fonts.bunny.net", "Bunny Fonts"),
    ("api.fontshare.com", "Fontshare"),
    ("rsms.me", "rsms.me"),
    ("cdn.statically.io", "Statically"),
    ("cdn.staticfile.org", "Staticfile CDN"),
    ("cdn.bootcdn.net", "BootCDN"),
    ("cdn.bootcss.com", "BootCDN"),
    ("lib.baomitu.com", "baomitu"),
    ("cdnjs.loli.net", "loli.net"),
    ("libs.baidu.com", "Baidu CDN"),
    ("yastatic.net", "Yandex CDN"),
    ("cdn.polyfill.io", "polyfill.io (compromised)"),
    ("polyfill.io", "polyfill.io (compromised)"),
];

/// Hosts that served malware (polyfill.io, 2024): always worth an error.
const COMPROMISED: &[&str] = &["polyfill.io", "cdn.polyfill.io"];

/// Endpoints whose answer depends on the browser or account, so they cannot be pinned by
/// downloading once (`scan --add` skips them).
const DYNAMIC: &[&str] = &[
    "fonts.googleapis.com",
    "kit.fontawesome.com",
    "use.typekit.net",
    "cdn.tailwindcss.com",
    "polyfill.io",
    "cdn.polyfill.io",
];

pub(crate) fn cdn_name(host: &str) -> Option<&'static str> {
    let host = host.to_ascii_lowercase();
    CDNS.iter().find(|(h, _)| *h == host).map(|(_, n)| *n)
}

pub(crate) fn is_compromised(host: &str) -> bool {
    COMPROMISED.iter().any(|h| h.eq_ignore_ascii_case(host))
}

pub(crate) fn is_dynamic(host: &str) -> bool {
    DYNAMIC.iter().any(|h| h.eq_ignore_ascii_case(host))
}
