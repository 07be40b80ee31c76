import Foundation

/// A resumable (tus 1.0) photo upload: `GET /v1/uploads/{id}`'s answer.
///
/// `offset` bytes of `length` are on the server, synced. Once every byte is there the server checks the photo
/// exactly as a plain upload's and attaches it; `photo` is then the receipt, kept until the upload expires, so
/// a client that lost the last answer still learns what became of its photo.
public struct ResumableUpload: Sendable, Hashable, Codable {
    public var id: String
    public var reportID: Int64
    /// The name the client gave the file, for people reading the log.
    public var fileName: String?
    public var length: Int64
    public var offset: Int64
    /// The SHA-256 the client announced for the whole file; the finished upload must match it.
    public var sha256: String?
    public var createdBy: String
    public var createdAt: Date
    /// When the server forgets the upload: `uploads.expire_hours` after its last byte arrived.
    public var expiresAt: Date
    /// When the photo was added on the device (creation less its wait in the device's queue), if the client
    /// said (`queued_seconds` in `Upload-Metadata`); the photo is then dated so on its report.
    public var addedAt: Date?
    /// Set when the upload carries a preview (the device's chat copy) of this original rather than a photo.
    public var preview: PreviewClaim?
    /// The stored photo, once the upload is complete and accepted.
    public var photo: PhotoReceipt?

    public init(
        id: String, reportID: Int64, fileName: String?, length: Int64, offset: Int64, sha256: String?,
        createdBy: String, createdAt: Date, expiresAt: Date, addedAt: Date? = nil, preview: PreviewClaim? = nil,
        photo: PhotoReceipt? = nil
    ) {
        self.id = id
        self.reportID = reportID
        self.fileName = fileName
        self.length = length
        self.offset = offset
        self.sha256 = sha256
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.addedAt = addedAt
        self.preview = preview
        self.photo = photo
    }

    /// True when every byte is on the server.
    public var isComplete: Bool { offset == length }

    enum CodingKeys: String, CodingKey {
        case id
        case reportID = "report_id"
        case fileName = "file_name"
        case length, offset, sha256
        case createdBy = "created_by"
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case addedAt = "added_at"
        case preview, photo
    }
}
