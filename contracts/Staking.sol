// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";

/// @title Staking native OPEN as a validator or an AI agent
/// @notice Stake is locked until withdrawn: `requestWithdrawal` moves part of it out of the active
/// stake and starts the cooldown; `completeWithdrawal` pays it out once the cooldown has passed.
/// Stake in cooldown earns no rewards but can still be slashed: the cooldown exists so that
/// misbehaviour found late is still punishable. Slashed OPEN goes to the treasury.
///
/// Challenges: anyone may challenge an agent's receipt (InferenceSettlement receipt id) with
/// evidence, typically the attribution they recomputed from the published model and datanet. No
/// contract can rerun a model, so the slasher role rules: it recomputes the attribution itself
/// (`openledger attribute verify`) and upholds the challenge, slashing the agent and paying
/// `challengerRewardBps` of the slashed amount to the challenger (the rest to the treasury), or
/// dismisses it.
///
/// Rewards (the stakers' share of inference fees, sent through `distributeRewards`) accrue to the
/// active stake pro rata with a reward-per-share accumulator, so distributing costs the same for
/// one staker or a million. Rounding: the accumulator keeps the remainder of each division and adds
/// it to the next distribution; what a staker earns is rounded down, so at most about a wei per
/// staker and distribution stays in the contract, never paid twice.
contract Staking is AccessControl, ReentrancyGuard {
    /// @notice May slash stakers.
    bytes32 public constant SLASHER_ROLE = keccak256("SLASHER_ROLE");
    /// @notice May change the cooldown and the treasury.
    bytes32 public constant GOVERNANCE_ROLE = keccak256("GOVERNANCE_ROLE");

    /// @notice Scale of `rewardPerShare`. 1e36 keeps a staker's rounding loss under a wei per
    /// distribution even for the whole OPEN supply (1e27 wei) staked; products stay below 2^256
    /// because a staker's share of any distribution is at most the distribution itself.
    uint256 public constant ACCUMULATOR_SCALE = 1e36;
    uint64 public constant MAX_COOLDOWN = 365 days;

    enum Role {
        Validator,
        Agent
    }

    struct StakeInfo {
        uint256 amount;
        uint256 pendingWithdrawal;
        uint64 unlockTime;
        Role role;
        /// @dev rewardPerShare when this staker's rewards were last brought up to date.
        uint256 rewardPerSharePaid;
        uint256 rewards;
    }

    enum ChallengeStatus {
        Open,
        Upheld,
        Dismissed
    }

    struct Challenge {
        address challenger;
        ChallengeStatus status;
        uint64 openedAt;
        address agent;
        uint256 receiptId;
        bytes32 evidenceHash;
    }

    address public treasury;
    uint64 public cooldown = 7 days;
    /// @notice Share of an upheld challenge's slash paid to the challenger, in basis points.
    uint16 public challengerRewardBps = 5000;
    /// @notice Challenges so far; ids run from 1 to challengeCount.
    uint256 public challengeCount;
    /// @notice Active stake (excluding stake in cooldown): what rewards are shared over.
    uint256 public totalStaked;
    /// @notice Rewards per unit of active stake since deployment, × ACCUMULATOR_SCALE.
    uint256 public rewardPerShare;
    /// @dev Remainder of the last accumulator division (in units of wei × ACCUMULATOR_SCALE).
    uint256 private _rewardCarry;

    mapping(address staker => StakeInfo) private _stakes;
    mapping(uint256 challengeId => Challenge) private _challenges;

    event Staked(address indexed staker, uint8 role, uint256 amount, uint256 newStake);
    event WithdrawalRequested(address indexed staker, uint256 amount, uint256 pendingWithdrawal, uint64 unlockTime);
    event WithdrawalCompleted(address indexed staker, uint256 amount);
    event Slashed(address indexed staker, uint256 amount, string evidence, address indexed slasher);
    event RewardsDistributed(address indexed from, uint256 amount, uint256 rewardPerShare);
    event RewardsClaimed(address indexed staker, uint256 amount);
    event CooldownUpdated(uint64 cooldown);
    event ChallengeOpened(
        uint256 indexed challengeId,
        address indexed agent,
        uint256 indexed receiptId,
        address challenger,
        bytes32 evidenceHash,
        string evidence
    );
    event ChallengeResolved(
        uint256 indexed challengeId, bool upheld, uint256 slashed, uint256 toChallenger, address slasher
    );
    event ChallengerRewardUpdated(uint16 bps);
    event TreasuryUpdated(address treasury);

    error ZeroAddress();
    error ZeroAmount();
    error InvalidRole(uint8 role);
    error RoleMismatch(uint8 current, uint8 requested);
    error InsufficientStake(uint256 available, uint256 requested);
    error NoPendingWithdrawal();
    error CooldownNotPassed(uint64 unlockTime);
    error SlashExceedsStake(uint256 available, uint256 requested);
    error NothingStaked();
    error NothingToClaim();
    error CooldownTooLong(uint64 cooldown, uint64 max);
    error NotAnAgent(address account);
    error UnknownChallenge(uint256 challengeId);
    error ChallengeClosed(uint256 challengeId);
    error InvalidBps(uint256 bps);

    constructor(address admin, address treasury_) {
        if (admin == address(0) || treasury_ == address(0)) revert ZeroAddress();
        treasury = treasury_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(GOVERNANCE_ROLE, admin);
        _grantRole(SLASHER_ROLE, admin);
    }

    // ---------------------------------------------------------------- staking

    /// @notice Adds msg.value to the sender's stake. A staker keeps one role until fully withdrawn.
    function stake(uint8 role) external payable {
        if (msg.value == 0) revert ZeroAmount();
        if (role > uint8(type(Role).max)) revert InvalidRole(role);
        StakeInfo storage s = _stakes[msg.sender];
        if (s.amount + s.pendingWithdrawal > 0 && uint8(s.role) != role) revert RoleMismatch(uint8(s.role), role);
        _accrue(s);
        s.role = Role(role);
        s.amount += msg.value;
        totalStaked += msg.value;
        emit Staked(msg.sender, role, msg.value, s.amount);
    }

    /// @notice Moves `amount` of active stake into cooldown. A new request adds to what is already
    /// pending and restarts the cooldown for all of it.
    function requestWithdrawal(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        StakeInfo storage s = _stakes[msg.sender];
        if (amount > s.amount) revert InsufficientStake(s.amount, amount);
        _accrue(s);
        s.amount -= amount;
        totalStaked -= amount;
        s.pendingWithdrawal += amount;
        s.unlockTime = uint64(block.timestamp) + cooldown;
        emit WithdrawalRequested(msg.sender, amount, s.pendingWithdrawal, s.unlockTime);
    }

    /// @notice Pays out the whole pending withdrawal once the cooldown has passed.
    function completeWithdrawal() external nonReentrant {
        StakeInfo storage s = _stakes[msg.sender];
        uint256 amount = s.pendingWithdrawal;
        if (amount == 0) revert NoPendingWithdrawal();
        if (block.timestamp < s.unlockTime) revert CooldownNotPassed(s.unlockTime);
        s.pendingWithdrawal = 0;
        s.unlockTime = 0;
        emit WithdrawalCompleted(msg.sender, amount);
        Address.sendValue(payable(msg.sender), amount);
    }

    /// @notice Takes `amount` from a staker (active stake first, then stake in cooldown) and sends
    /// it to the treasury. `evidence` is a hash or URI of what justifies it.
    function slash(address staker, uint256 amount, string calldata evidence)
        external
        onlyRole(SLASHER_ROLE)
        nonReentrant
    {
        _slash(staker, amount, evidence);
        Address.sendValue(payable(treasury), amount);
    }

    // ---------------------------------------------------------------- challenges

    /// @notice Challenges the receipt `receiptId` settled by `agent` (a staked agent): evidenceHash
    /// commits to the challenger's recomputed attribution; `evidence` (what the slasher needs to
    /// recompute it, or where to find it) is only logged, in ChallengeOpened, so its size costs
    /// calldata, not storage.
    function challenge(address agent, uint256 receiptId, bytes32 evidenceHash, string calldata evidence)
        external
        returns (uint256 challengeId)
    {
        StakeInfo storage s = _stakes[agent];
        if (s.role != Role.Agent || s.amount + s.pendingWithdrawal == 0) revert NotAnAgent(agent);
        challengeId = ++challengeCount;
        _challenges[challengeId] = Challenge({
            challenger: msg.sender,
            status: ChallengeStatus.Open,
            openedAt: uint64(block.timestamp),
            agent: agent,
            receiptId: receiptId,
            evidenceHash: evidenceHash
        });
        emit ChallengeOpened(challengeId, agent, receiptId, msg.sender, evidenceHash, evidence);
    }

    /// @notice Rules on an open challenge. Upheld: slashes `amount` from the agent (at most its
    /// stake), `challengerRewardBps` of it to the challenger and the rest to the treasury.
    function resolveChallenge(uint256 challengeId, bool upheld, uint256 amount)
        external
        onlyRole(SLASHER_ROLE)
        nonReentrant
    {
        Challenge storage c = _challenges[challengeId];
        if (c.challenger == address(0)) revert UnknownChallenge(challengeId);
        if (c.status != ChallengeStatus.Open) revert ChallengeClosed(challengeId);
        if (!upheld) {
            c.status = ChallengeStatus.Dismissed;
            emit ChallengeResolved(challengeId, false, 0, 0, msg.sender);
            return;
        }
        c.status = ChallengeStatus.Upheld;
        StakeInfo storage s = _stakes[c.agent];
        uint256 available = s.amount + s.pendingWithdrawal;
        if (amount > available) amount = available;
        uint256 toChallenger = (amount * challengerRewardBps) / 10_000;
        if (amount > 0) _slash(c.agent, amount, string.concat("challenge ", Strings.toString(challengeId)));
        emit ChallengeResolved(challengeId, true, amount, toChallenger, msg.sender);
        if (toChallenger > 0) Address.sendValue(payable(c.challenger), toChallenger);
        if (amount > toChallenger) Address.sendValue(payable(treasury), amount - toChallenger);
    }

    /// @notice A challenge; `status` is 0 open, 1 upheld, 2 dismissed.
    function getChallenge(uint256 challengeId)
        external
        view
        returns (
            address challenger,
            address agent,
            uint256 receiptId,
            uint8 status,
            bytes32 evidenceHash,
            uint64 openedAt
        )
    {
        Challenge storage c = _challenges[challengeId];
        if (c.challenger == address(0)) revert UnknownChallenge(challengeId);
        return (c.challenger, c.agent, c.receiptId, uint8(c.status), c.evidenceHash, c.openedAt);
    }

    /// @notice Whether `account` is an agent with active stake (stake in cooldown does not count).
    function isAgent(address account) external view returns (bool) {
        StakeInfo storage s = _stakes[account];
        return s.role == Role.Agent && s.amount > 0;
    }

    // ---------------------------------------------------------------- rewards

    /// @notice Shares msg.value among the active stake, pro rata. Anyone may add rewards;
    /// InferenceSettlement sends the stakers' share of every inference fee here.
    function distributeRewards() external payable {
        if (msg.value == 0) revert ZeroAmount();
        uint256 total = totalStaked;
        if (total == 0) revert NothingStaked();
        uint256 scaled = msg.value * ACCUMULATOR_SCALE + _rewardCarry;
        rewardPerShare += scaled / total;
        _rewardCarry = scaled % total;
        emit RewardsDistributed(msg.sender, msg.value, rewardPerShare);
    }

    function claimRewards() external nonReentrant returns (uint256 amount) {
        StakeInfo storage s = _stakes[msg.sender];
        _accrue(s);
        amount = s.rewards;
        if (amount == 0) revert NothingToClaim();
        s.rewards = 0;
        emit RewardsClaimed(msg.sender, amount);
        Address.sendValue(payable(msg.sender), amount);
    }

    // ---------------------------------------------------------------- governance

    function setCooldown(uint64 cooldown_) external onlyRole(GOVERNANCE_ROLE) {
        if (cooldown_ > MAX_COOLDOWN) revert CooldownTooLong(cooldown_, MAX_COOLDOWN);
        cooldown = cooldown_;
        emit CooldownUpdated(cooldown_);
    }

    function setChallengerRewardBps(uint16 bps) external onlyRole(GOVERNANCE_ROLE) {
        if (bps > 10_000) revert InvalidBps(bps);
        challengerRewardBps = bps;
        emit ChallengerRewardUpdated(bps);
    }

    function setTreasury(address treasury_) external onlyRole(GOVERNANCE_ROLE) {
        if (treasury_ == address(0)) revert ZeroAddress();
        treasury = treasury_;
        emit TreasuryUpdated(treasury_);
    }

    // ---------------------------------------------------------------- views

    /// @return amount active stake; role 0 validator, 1 agent; pendingWithdrawal stake in cooldown;
    /// unlockTime when the pending withdrawal may be completed (0 when none).
    function stakeOf(address staker)
        external
        view
        returns (uint256 amount, uint8 role, uint256 pendingWithdrawal, uint64 unlockTime)
    {
        StakeInfo storage s = _stakes[staker];
        return (s.amount, uint8(s.role), s.pendingWithdrawal, s.unlockTime);
    }

    /// @notice Rewards the staker could claim now.
    function rewardsOf(address staker) external view returns (uint256) {
        StakeInfo storage s = _stakes[staker];
        return s.rewards + _earnedSinceLastAccrual(s);
    }

    // ---------------------------------------------------------------- internals

    /// @dev Takes `amount` from a staker's active stake first, then from its stake in cooldown;
    /// the caller sends the OPEN on.
    function _slash(address staker, uint256 amount, string memory evidence) private {
        if (amount == 0) revert ZeroAmount();
        StakeInfo storage s = _stakes[staker];
        uint256 available = s.amount + s.pendingWithdrawal;
        if (amount > available) revert SlashExceedsStake(available, amount);
        _accrue(s);
        uint256 fromActive = amount < s.amount ? amount : s.amount;
        s.amount -= fromActive;
        totalStaked -= fromActive;
        s.pendingWithdrawal -= amount - fromActive;
        emit Slashed(staker, amount, evidence, msg.sender);
    }

    /// @dev Brings a staker's rewards up to date; called before every change of their active stake.
    function _accrue(StakeInfo storage s) private {
        s.rewards += _earnedSinceLastAccrual(s);
        s.rewardPerSharePaid = rewardPerShare;
    }

    function _earnedSinceLastAccrual(StakeInfo storage s) private view returns (uint256) {
        return (s.amount * (rewardPerShare - s.rewardPerSharePaid)) / ACCUMULATOR_SCALE;
    }
}
