//! Image references and digests as the simulated registry reports them.

use std::hash::{Hash, Hasher};

/// A stable pseudo digest for an image name.
pub fn digest(image: &str) -> String {
    (0u8..4)
        .map(|seed| {
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            seed.hash(&mut hasher);
            image.hash(&mut hasher);
            format!("{:016x}", hasher.finish())
        })
        .collect()
}

/// `nginx:1.27` → `docker.io/library/nginx`, as containerd reports it.
pub fn repository(image: &str) -> String {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last_slash = without_digest.rfind('/').map_or(0, |i| i + 1);
    let without_tag = match without_digest[last_slash..].find(':') {
        Some(colon) => &without_digest[..last_slash + colon],
        None => without_digest,
    };
    let first = without_tag.split('/').next().unwrap_or("");
    let has_domain = without_tag.contains('/')
        && (first.contains('.') || first.contains(':') || first == "localhost");
    if has_domain {
        without_tag.to_string()
    } else if without_tag.contains('/') {
        format!("docker.io/{without_tag}")
    } else {
        format!("docker.io/library/{without_tag}")
    }
}

pub fn registry_host(image: &str) -> String {
    let repo = repository(image);
    repo.split('/').next().unwrap_or("docker.io").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references_normalise_like_containerd() {
        assert_eq!(repository("nginx"), "docker.io/library/nginx");
        assert_eq!(repository("nginx:1.27"), "docker.io/library/nginx");
        assert_eq!(repository("bitnami/redis:7"), "docker.io/bitnami/redis");
        assert_eq!(repository("registry.invalid/x:1"), "registry.invalid/x");
        assert_eq!(repository("localhost:5000/app"), "localhost:5000/app");
    }
}
