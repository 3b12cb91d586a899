/// The pieces of `ops_advance_document()` that its versions (migrations 2, 4, 5 and 7) share,
/// spliced into each at the indentation of `BEGIN`'s body. Migrations already applied are
/// compared by their text: an edit here must leave every version's SQL byte for byte as it was.
extension PostgresSchema {
    /// Advances each document to its newest inserted op (size and time too).
    static let advanceDocuments = """
        UPDATE documents AS d SET revision = GREATEST(d.revision, i.revision),
                size = COALESCE(i.document_size, d.size), updated_at = i.created_at
            FROM (SELECT DISTINCT ON (document_id) document_id, revision, document_size, created_at
                  FROM inserted ORDER BY document_id, revision DESC) AS i
            WHERE d.id = i.document_id;
        """

    /// Refuses an op at or before its document's `compacted_through`, as a unique violation.
    static let refuseCompactedRevisions = """
        IF EXISTS (SELECT 1 FROM inserted AS n JOIN documents AS d ON d.id = n.document_id
                       WHERE n.revision <= d.compacted_through) THEN
                RAISE EXCEPTION USING ERRCODE = 'unique_violation', MESSAGE = '\(compactedRevisionError)';
            END IF;
        """
}
