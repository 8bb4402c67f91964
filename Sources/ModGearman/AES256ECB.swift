import CCrypto

/// AES-256 in ECB mode without padding: what Mod-Gearman encrypts job payloads with. The
/// plaintext is padded with zero bytes by the caller, as mod_gearman does, not PKCS#7.
enum AES256ECB {
    static func encrypt(_ input: [UInt8], key: ModGearmanKey) -> [UInt8] {
        crypt(input, key: key, encrypting: true)!
    }

    /// Nil when the input is not whole 16-byte blocks.
    static func decrypt(_ input: [UInt8], key: ModGearmanKey) -> [UInt8]? {
        crypt(input, key: key, encrypting: false)
    }

    private static func crypt(_ input: [UInt8], key: ModGearmanKey, encrypting: Bool) -> [UInt8]? {
        guard input.count % 16 == 0, let context = EVP_CIPHER_CTX_new() else { return nil }
        defer { EVP_CIPHER_CTX_free(context) }
        guard EVP_CipherInit_ex(context, EVP_aes_256_ecb(), nil, key.bytes, nil, encrypting ? 1 : 0) == 1,
              EVP_CIPHER_CTX_set_padding(context, 0) == 1 else { return nil }
        var output = [UInt8](repeating: 0, count: input.count + 16)
        var written: Int32 = 0
        var finished: Int32 = 0
        guard EVP_CipherUpdate(context, &output, &written, input, Int32(input.count)) == 1 else { return nil }
        let ok = output.withUnsafeMutableBufferPointer { buffer in
            EVP_CipherFinal_ex(context, buffer.baseAddress! + Int(written), &finished) == 1
        }
        guard ok else { return nil }
        return Array(output.prefix(Int(written + finished)))
    }
}
