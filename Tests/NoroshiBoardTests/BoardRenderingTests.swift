import Foundation
import NoroshiBoard
import NoroshiCore
import Testing

/// The templates render what they are given, escaped, in both languages.
@Suite struct BoardRenderingTests {
    @Test func loginPageRendersInBothLanguages() throws {
        let board = try Board()
        let ja = board.render(LoginPage(language: .japanese))
        #expect(ja.contains("<html lang=\"ja\">"))
        #expect(ja.contains("サインイン"))
        let en = board.render(LoginPage(language: .english, error: "<b>bad</b>"))
        #expect(en.contains("Sign in"))
        #expect(en.contains("&lt;b&gt;bad&lt;/b&gt;"))
        #expect(!en.contains("<b>bad</b>"))
    }
}
