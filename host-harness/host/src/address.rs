//! Which IP addresses a tenant may never reach: the platform's own network and everything
//! that is not a public unicast address. The host checks IP literals when a tenant
//! configures, and every address a name resolves to when it connects.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is refused. [`Rule::private_network`] tells which rules the
/// `allow_private_network` allowance lifts; the others hold for every tenant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// 127.0.0.0/8, ::1: the machine the host runs on.
    Loopback,
    /// 10/8, 172.16/12, 192.168/16, and the deprecated IPv6 site-local fec0::/10.
    Private,
    /// fc00::/7.
    UniqueLocal,
    /// 100.64.0.0/10 (carrier-grade NAT), and local-use NAT64 64:ff9b:1::/48.
    Shared,
    /// 169.254.169.254, 169.254.170.2, fd00:ec2::254: cloud instance metadata services.
    CloudMetadata,
    /// 169.254.0.0/16, fe80::/10.
    LinkLocal,
    /// 224.0.0.0/4, ff00::/8.
    Multicast,
    /// 0.0.0.0/8, :: (connecting to them reaches the local machine on some systems).
    Unspecified,
    /// 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32, 3fff::/20.
    Documentation,
    /// 198.18.0.0/15, 2001:2::/48.
    Benchmarking,
    /// 192.0.0.0/24, 192.88.99.0/24, 240.0.0.0/4 (with the broadcast address), 100::/64,
    /// Teredo 2001::/32, and the deprecated IPv4-compatible ::/96.
    Reserved,
}

impl Rule {
    /// The rule's name, as the host's messages give it.
    pub fn name(self) -> &'static str {
        match self {
            Rule::Loopback => "loopback",
            Rule::Private => "private network",
            Rule::UniqueLocal => "unique-local",
            Rule::Shared => "shared address space (carrier-grade NAT)",
            Rule::CloudMetadata => "cloud metadata service",
            Rule::LinkLocal => "link-local",
            Rule::Multicast => "multicast",
            Rule::Unspecified => "unspecified address",
            Rule::Documentation => "documentation range",
            Rule::Benchmarking => "benchmarking range",
            Rule::Reserved => "reserved range",
        }
    }

    /// Loopback and the private ranges: what the `allow_private_network` allowance opens
    /// (a simulator on loopback, an instance behind a private proxy). Metadata services,
    /// link-local and the rest stay closed even then.
    pub fn private_network(self) -> bool {
        matches!(
            self,
            Rule::Loopback | Rule::Private | Rule::UniqueLocal | Rule::Shared
        )
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The rule that refuses `ip`, or `None` for a public unicast address. IPv6 forms that
/// carry an IPv4 address (mapped, compatible, SIIT, NAT64, 6to4) are judged by that address.
pub fn classify(ip: IpAddr) -> Option<Rule> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

/// `classify`, minus the rules the allowance lifts when `allow_private_network` is set.
pub fn refusal(ip: IpAddr, allow_private_network: bool) -> Option<Rule> {
    classify(ip).filter(|rule| !(allow_private_network && rule.private_network()))
}

/// [`refusal`] with the networks the platform admits: an address in one of `admitted` may be
/// a private one (loopback, private, unique-local, shared); metadata, link-local and the
/// other ranges stay closed whatever is admitted.
pub fn refusal_admitting(
    ip: IpAddr,
    allow_private_network: bool,
    admitted: &[Network],
) -> Option<Rule> {
    let rule = refusal(ip, allow_private_network)?;
    let inside = admitted.iter().any(|network| network.contains(ip));
    (!(inside && rule.private_network())).then_some(rule)
}

/// A network the platform admits, as a CIDR (`10.20.0.0/16`, `fd00:1::/64`) or one address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Network {
    address: IpAddr,
    prefix: u8,
}

impl Network {
    /// Whether `ip` (an IPv4-mapped IPv6 address as its IPv4 one) lies in it.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        let bits = |ip: IpAddr| -> (u128, u8) {
            match ip {
                IpAddr::V4(v4) => (u128::from(u32::from(v4)) << 96, 32),
                IpAddr::V6(v6) => (u128::from(v6), 128),
            }
        };
        let ((mine, width), (theirs, their_width)) = (bits(self.address), bits(ip));
        if width != their_width {
            return false;
        }
        let mask = match self.prefix {
            0 => 0,
            prefix => u128::MAX << (128 - u32::from(prefix)),
        };
        mine & mask == theirs & mask
    }
}

impl std::str::FromStr for Network {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let usage =
            || format!("{text:?} is not a network (10.20.0.0/16, fd00:1::/64 or one address)");
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let address: IpAddr = address.trim().parse().map_err(|_| usage())?;
        let most = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(prefix) => prefix
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= most)
                .ok_or_else(usage)?,
            None => most,
        };
        // Both families are compared in the top bits of a 128-bit word (see `contains`).
        Ok(Self { address, prefix })
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<Rule> {
    let [a, b, c, d] = ip.octets();
    let rule = match (a, b, c, d) {
        (169, 254, 169, 254) | (169, 254, 170, 2) => Rule::CloudMetadata,
        (0, ..) => Rule::Unspecified,
        (127, ..) => Rule::Loopback,
        (10, ..) | (192, 168, ..) => Rule::Private,
        (172, b, ..) if (16..32).contains(&b) => Rule::Private,
        (100, b, ..) if (64..128).contains(&b) => Rule::Shared,
        (169, 254, ..) => Rule::LinkLocal,
        (192, 0, 2, _) | (198, 51, 100, _) | (203, 0, 113, _) => Rule::Documentation,
        (198, 18 | 19, ..) => Rule::Benchmarking,
        (192, 0, 0, _) | (192, 88, 99, _) => Rule::Reserved,
        (224..=239, ..) => Rule::Multicast,
        (240..=255, ..) => Rule::Reserved,
        _ => return None,
    };
    Some(rule)
}

fn classify_v6(ip: Ipv6Addr) -> Option<Rule> {
    if ip == Ipv6Addr::UNSPECIFIED {
        return Some(Rule::Unspecified);
    }
    if ip == Ipv6Addr::LOCALHOST {
        return Some(Rule::Loopback);
    }
    if ip == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254) {
        return Some(Rule::CloudMetadata);
    }
    let s = ip.segments();
    let low_v4 = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        // ::ffff:a.b.c.d (mapped) and ::ffff:0:a.b.c.d (SIIT): the IPv4 address itself.
        [0, 0, 0, 0, 0, 0xffff, _, _] | [0, 0, 0, 0, 0xffff, 0, _, _] => classify_v4(low_v4),
        // ::a.b.c.d, deprecated IPv4-compatible: nothing public lives there.
        [0, 0, 0, 0, 0, 0, _, _] => Some(classify_v4(low_v4).unwrap_or(Rule::Reserved)),
        // 64:ff9b::/96, the well-known NAT64 prefix: a translator reaches the IPv4 address.
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => classify_v4(low_v4),
        [0x64, 0xff9b, 1, ..] => Some(Rule::Shared),
        // 2002::/16, 6to4: the IPv4 address in bits 16..48.
        [0x2002, hi, lo, ..] => classify_v4(Ipv4Addr::new(
            (hi >> 8) as u8,
            hi as u8,
            (lo >> 8) as u8,
            lo as u8,
        )),
        [0x2001, 0, ..] => Some(Rule::Reserved),
        [0x2001, 0x2, 0, ..] => Some(Rule::Benchmarking),
        [0x2001, 0xdb8, ..] => Some(Rule::Documentation),
        [0x100, 0, 0, 0, ..] => Some(Rule::Reserved),
        [first, ..] if first & 0xfff0 == 0x3ff0 => Some(Rule::Documentation),
        [first, ..] if first & 0xfe00 == 0xfc00 => Some(Rule::UniqueLocal),
        [first, ..] if first & 0xffc0 == 0xfe80 => Some(Rule::LinkLocal),
        [first, ..] if first & 0xffc0 == 0xfec0 => Some(Rule::Private),
        [first, ..] if first & 0xff00 == 0xff00 => Some(Rule::Multicast),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admitted_networks_open_private_addresses_only() {
        let admitted: Vec<Network> = ["10.20.0.0/16", "fd00:1::/64", "127.0.0.1"]
            .iter()
            .map(|n| n.parse().unwrap())
            .collect();
        let ip = |text: &str| text.parse::<IpAddr>().unwrap();
        for inside in ["10.20.3.4", "fd00:1::9", "127.0.0.1", "::ffff:10.20.0.1"] {
            assert_eq!(
                refusal_admitting(ip(inside), false, &admitted),
                None,
                "{inside}"
            );
        }
        for outside in ["10.21.0.1", "192.168.1.1", "127.0.0.2", "fd00:2::1"] {
            assert!(
                refusal_admitting(ip(outside), false, &admitted).is_some(),
                "{outside}"
            );
        }
        // Whatever is admitted, metadata and link-local stay closed.
        let everything: Vec<Network> =
            ["0.0.0.0/0".parse().unwrap(), "::/0".parse().unwrap()].to_vec();
        for closed in ["169.254.169.254", "169.254.1.1", "fe80::1"] {
            assert!(
                refusal_admitting(ip(closed), true, &everything).is_some(),
                "{closed}"
            );
        }
        for bad in ["10.0.0.0/33", "x/8", "10.0.0.0/", "::/129"] {
            assert!(bad.parse::<Network>().is_err(), "{bad}");
        }
    }

    #[test]
    fn addresses_and_their_rules() {
        use Rule::*;
        let table: &[(&str, Option<Rule>)] = &[
            // IPv4
            ("8.8.8.8", None),
            ("149.96.5.1", None),
            ("172.15.255.255", None),
            ("172.32.0.1", None),
            ("100.63.255.255", None),
            ("100.128.0.1", None),
            ("223.255.255.255", None),
            ("127.0.0.1", Some(Loopback)),
            ("127.255.255.254", Some(Loopback)),
            ("10.0.0.5", Some(Private)),
            ("172.16.0.1", Some(Private)),
            ("172.31.255.255", Some(Private)),
            ("192.168.1.1", Some(Private)),
            ("100.64.0.1", Some(Shared)),
            ("100.127.255.255", Some(Shared)),
            ("169.254.169.254", Some(CloudMetadata)),
            ("169.254.170.2", Some(CloudMetadata)),
            ("169.254.1.1", Some(LinkLocal)),
            ("224.0.0.1", Some(Multicast)),
            ("239.255.255.250", Some(Multicast)),
            ("0.0.0.0", Some(Unspecified)),
            ("0.1.2.3", Some(Unspecified)),
            ("192.0.2.1", Some(Documentation)),
            ("198.51.100.7", Some(Documentation)),
            ("203.0.113.9", Some(Documentation)),
            ("198.18.0.1", Some(Benchmarking)),
            ("198.19.255.255", Some(Benchmarking)),
            ("192.0.0.8", Some(Reserved)),
            ("192.88.99.1", Some(Reserved)),
            ("240.0.0.1", Some(Reserved)),
            ("255.255.255.255", Some(Reserved)),
            // IPv6
            ("2606:4700::1111", None),
            ("2a00:1450:4001::200e", None),
            ("::", Some(Unspecified)),
            ("::1", Some(Loopback)),
            ("fd00:ec2::254", Some(CloudMetadata)),
            ("fd00:ec2::253", Some(UniqueLocal)),
            ("fc00::1", Some(UniqueLocal)),
            ("fdff:ffff::1", Some(UniqueLocal)),
            ("fe80::1", Some(LinkLocal)),
            ("febf::1", Some(LinkLocal)),
            ("fec0::1", Some(Private)),
            ("ff02::1", Some(Multicast)),
            ("2001:db8::1", Some(Documentation)),
            ("3fff::1", Some(Documentation)),
            ("2001:2::1", Some(Benchmarking)),
            ("2001::1", Some(Reserved)),
            ("100::1", Some(Reserved)),
            // IPv4 inside IPv6
            ("::ffff:169.254.169.254", Some(CloudMetadata)),
            ("::ffff:127.0.0.1", Some(Loopback)),
            ("::ffff:10.0.0.5", Some(Private)),
            ("::ffff:8.8.8.8", None),
            ("::ffff:0:169.254.169.254", Some(CloudMetadata)),
            ("::127.0.0.1", Some(Loopback)),
            ("::169.254.169.254", Some(CloudMetadata)),
            ("::8.8.8.8", Some(Reserved)),
            ("64:ff9b::169.254.169.254", Some(CloudMetadata)),
            ("64:ff9b::7f00:1", Some(Loopback)),
            ("64:ff9b::8.8.8.8", None),
            ("64:ff9b:1::1", Some(Shared)),
            ("2002:a9fe:a9fe::1", Some(CloudMetadata)),
            ("2002:7f00:1::", Some(Loopback)),
            ("2002:c0a8:101::1", Some(Private)),
            ("2002:808:808::1", None),
        ];
        for (text, expected) in table {
            let ip: IpAddr = text.parse().unwrap();
            assert_eq!(classify(ip), *expected, "{text}");
        }
    }

    #[test]
    fn the_allowance_opens_loopback_and_private_ranges_only() {
        let open = |text: &str| refusal(text.parse().unwrap(), true).is_none();
        for reachable in [
            "127.0.0.1",
            "::1",
            "10.0.0.5",
            "fd12::1",
            "100.64.0.1",
            "1.1.1.1",
        ] {
            assert!(open(reachable), "{reachable}");
        }
        for closed in [
            "169.254.169.254",
            "fd00:ec2::254",
            "::ffff:169.254.169.254",
            "169.254.1.1",
            "fe80::1",
            "0.0.0.0",
            "::",
            "224.0.0.1",
            "192.0.2.1",
        ] {
            assert!(!open(closed), "{closed}");
        }
        assert_eq!(
            refusal("127.0.0.1".parse().unwrap(), false),
            Some(Rule::Loopback)
        );
    }
}
