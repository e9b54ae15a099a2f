//! Container image references: tag, digest and registry.

use super::{Ctx, Verdicts, with_pod};
use crate::k8s::Object;
use crate::k8s::workload::{Container, PodSpec};

/// A parsed image reference, `[registry/]repository[:tag][@digest]`, with Docker's rules for
/// the registry part: the first path component is a registry when it contains `.` or `:`, or
/// is `localhost`; otherwise the image is on Docker Hub (`docker.io`).
#[derive(Debug, PartialEq, Eq)]
pub struct ImageRef<'a> {
    pub registry: &'a str,
    pub repository: &'a str,
    pub tag: Option<&'a str>,
    pub digest: Option<&'a str>,
}

impl<'a> ImageRef<'a> {
    pub fn parse(image: &'a str) -> Option<ImageRef<'a>> {
        let image = image.trim();
        if image.is_empty()
            || image.contains(char::is_whitespace)
            || image.contains("{{")
            || image.contains("${")
        {
            return None;
        }
        let (rest, digest) = match image.split_once('@') {
            Some((r, d)) => {
                let (algo, hex) = d.split_once(':')?;
                if algo.is_empty() || hex.len() < 32 || !hex.chars().all(|c| c.is_ascii_hexdigit())
                {
                    return None;
                }
                (r, Some(d))
            }
            None => (image, None),
        };
        let (registry, path) = match rest.split_once('/') {
            Some((first, tail))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first, tail)
            }
            _ => ("docker.io", rest),
        };
        // A tag is after the last ':' of the path (the registry part may hold a port).
        let (repository, tag) = match path.rsplit_once(':') {
            Some((repo, tag)) if !tag.contains('/') => (repo, Some(tag)),
            _ => (path, None),
        };
        if repository.is_empty() || tag == Some("") {
            return None;
        }
        Some(ImageRef {
            registry,
            repository,
            tag,
            digest,
        })
    }
}

/// Does `host` (and repository) match an allowlist pattern? Patterns are a host glob where `*`
/// stands for one or more DNS labels (`*.azurecr.io`), optionally followed by a repository
/// prefix (`docker.io/library`).
pub fn registry_allowed(image: &ImageRef, pattern: &str) -> bool {
    let (host_pat, repo_prefix) = match pattern.split_once('/') {
        Some((h, p)) => (h, Some(p.trim_end_matches('/'))),
        None => (pattern, None),
    };
    let host = image.registry.to_ascii_lowercase();
    let host_pat = host_pat.to_ascii_lowercase();
    let host_ok = if let Some(suffix) = host_pat.strip_prefix("*.") {
        host.len() > suffix.len() + 1 && host.ends_with(&format!(".{suffix}"))
    } else {
        host == host_pat
    };
    // Docker Hub's official images live under `library/`.
    let repository = if host == "docker.io" && !image.repository.contains('/') {
        format!("library/{}", image.repository)
    } else {
        image.repository.to_string()
    };
    host_ok
        && repo_prefix.is_none_or(|p| repository == p || repository.starts_with(&format!("{p}/")))
}

fn each_image<'o>(
    pod: &PodSpec<'o>,
    out: &mut Verdicts,
    mut f: impl FnMut(&Container<'o>, &ImageRef, &mut Verdicts),
) {
    for c in pod.containers() {
        let path = c.path.key("image");
        match c.image() {
            None => out.not_evaluated(Some(path), format!("{} has no image", c.describe())),
            Some(image) => match ImageRef::parse(image) {
                Some(r) => f(&c, &r, out),
                None => out.not_evaluated(
                    Some(path),
                    format!(
                        "{} has an image reference that cannot be read (unrendered template?)",
                        c.describe()
                    ),
                ),
            },
        }
    }
}

pub fn tag_pinned(obj: &Object, _: &Ctx, out: &mut Verdicts) {
    with_pod(obj, out, |pod, out| {
        each_image(pod, out, |c, r, out| {
            if r.digest.is_some() {
                return;
            }
            let path = c.path.key("image");
            match r.tag {
                None => out.fail(
                    path,
                    format!(
                        "{} image {} has no tag (means latest)",
                        c.describe(),
                        r.repository
                    ),
                ),
                Some("latest") => out.fail(path, format!("{} uses the latest tag", c.describe())),
                Some(_) => {}
            }
        });
        if !out.has_fail() {
            out.pass_if_clean("every image has a fixed tag or a digest");
        }
    });
}

pub fn digest_pinned(obj: &Object, _: &Ctx, out: &mut Verdicts) {
    with_pod(obj, out, |pod, out| {
        each_image(pod, out, |c, r, out| {
            if r.digest.is_none() {
                out.fail(
                    c.path.key("image"),
                    format!("{} image is not pinned by digest (@sha256:…)", c.describe()),
                );
            }
        });
        out.pass_if_clean("every image is pinned by digest");
    });
}

pub fn trusted_registries(obj: &Object, ctx: &Ctx, out: &mut Verdicts) {
    let allowed = &ctx.config.allowed_registries;
    with_pod(obj, out, |pod, out| {
        each_image(pod, out, |c, r, out| {
            if !allowed.iter().any(|p| registry_allowed(r, p)) {
                out.fail(
                    c.path.key("image"),
                    format!(
                        "{} pulls from {}, which is not an allowed registry",
                        c.describe(),
                        r.registry
                    ),
                );
            }
        });
        out.pass_if_clean("every image comes from an allowed registry");
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> ImageRef<'_> {
        ImageRef::parse(s).unwrap()
    }

    #[test]
    fn references() {
        assert_eq!(
            p("nginx"),
            ImageRef {
                registry: "docker.io",
                repository: "nginx",
                tag: None,
                digest: None
            }
        );
        assert_eq!(p("nginx:1.25").tag, Some("1.25"));
        assert_eq!(p("localhost:5000/app").registry, "localhost:5000");
        assert_eq!(p("localhost:5000/app").tag, None);
        assert_eq!(p("myacr.azurecr.io/team/app:v1").repository, "team/app");
        let d = p(
            "mcr.microsoft.com/oss/nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        );
        assert!(d.digest.is_some() && d.tag.is_none());
        assert_eq!(p("library/redis:7").registry, "docker.io");
        for bad in ["", "{{ .Values.image }}", "a b", "x@sha256:zz", "app:"] {
            assert!(ImageRef::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn allowlist() {
        assert!(registry_allowed(
            &p("myacr.azurecr.io/app:1"),
            "*.azurecr.io"
        ));
        assert!(!registry_allowed(&p("azurecr.io/app:1"), "*.azurecr.io"));
        assert!(!registry_allowed(
            &p("evil.com/myacr.azurecr.io:1"),
            "*.azurecr.io"
        ));
        assert!(!registry_allowed(
            &p("myacr.azurecr.io.evil.com/app:1"),
            "*.azurecr.io"
        ));
        assert!(registry_allowed(
            &p("mcr.microsoft.com/oss/nginx:1"),
            "mcr.microsoft.com"
        ));
        assert!(registry_allowed(&p("nginx:1"), "docker.io/library"));
        assert!(!registry_allowed(
            &p("bitnami/nginx:1"),
            "docker.io/library"
        ));
        assert!(registry_allowed(
            &p("docker.io/library/nginx:1"),
            "docker.io/library"
        ));
        assert!(!registry_allowed(
            &p("docker.io/libraryx/nginx:1"),
            "docker.io/library"
        ));
    }
}
