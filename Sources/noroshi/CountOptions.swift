import ArgumentParser
import NoroshiCore

/// The damage counts a report carries or HQ sets: people (人) and homes (棟), as the FDMA forms count them.
/// A count left out stays unknown (「未確認」), which is not 0: give 0 when you know there is none.
struct CountOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Number of dead (死者).", valueName: "n")) var dead: Int?
    @Option(help: ArgumentHelp("Number of missing (行方不明者).", valueName: "n")) var missing: Int?
    @Option(help: ArgumentHelp("Number of injured in all (負傷者).", valueName: "n")) var injured: Int?
    @Option(help: ArgumentHelp("Severely injured (重傷, a month or more to heal).", valueName: "n"))
    var severelyInjured: Int?
    @Option(help: ArgumentHelp("Slightly injured (軽傷).", valueName: "n")) var slightlyInjured: Int?
    @Option(help: ArgumentHelp("Homes destroyed (全壊), in buildings.", valueName: "n")) var homesDestroyed: Int?
    @Option(help: ArgumentHelp("Homes half destroyed (半壊).", valueName: "n")) var homesHalfDestroyed: Int?
    @Option(help: ArgumentHelp("Homes partially damaged (一部破損).", valueName: "n"))
    var homesPartiallyDamaged: Int?
    @Option(help: ArgumentHelp("Homes flooded above floor level (床上浸水).", valueName: "n"))
    var homesFloodedAboveFloor: Int?
    @Option(help: ArgumentHelp("Homes flooded below floor level (床下浸水).", valueName: "n"))
    var homesFloodedBelowFloor: Int?

    var casualties: Casualties {
        Casualties(
            dead: dead, missing: missing, injured: injured, severelyInjured: severelyInjured,
            slightlyInjured: slightlyInjured)
    }

    var homes: HomeDamage {
        HomeDamage(
            destroyed: homesDestroyed, halfDestroyed: homesHalfDestroyed, partiallyDamaged: homesPartiallyDamaged,
            floodedAboveFloor: homesFloodedAboveFloor, floodedBelowFloor: homesFloodedBelowFloor)
    }

    func validate() throws {
        do {
            _ = try casualties.validated()
            _ = try homes.validated()
        } catch {
            throw ValidationError("Counts must be between 0 and 1000000.")
        }
    }
}
