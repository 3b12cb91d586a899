import Testing
import MeshStore

@Suite struct RoleTests {
    @Test func rolesAreOrderedByPower() {
        #expect(Role.viewer < .editor)
        #expect(Role.editor < .owner)
        #expect(!Role.viewer.canEdit)
        #expect(Role.editor.canEdit && Role.owner.canEdit)
    }
}
