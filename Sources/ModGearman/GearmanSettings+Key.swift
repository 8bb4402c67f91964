import Ingest

extension GearmanSettings {
    /// The key jobs are decrypted with, nil when encryption is off. Mod-Gearman encrypts unless
    /// told not to, so encryption without a key is a mistake to report, not a reason to guess.
    public func resolvedKey() throws(JobPayloadError) -> ModGearmanKey? {
        guard encryption else { return nil }
        if let keyFile { return try ModGearmanKey(contentsOfFile: keyFile) }
        if let key, !key.isEmpty { return ModGearmanKey(key) }
        throw JobPayloadError("Mod-Gearman encrypts its jobs unless told otherwise: give the same key (--key-file FILE, or keyfile = / key = in the configuration), or say encryption = no (--no-encryption) if it sends them unencrypted")
    }
}
