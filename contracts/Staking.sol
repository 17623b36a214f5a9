// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

/// @title Staking native OPEN as a validator or an AI agent
/// @notice Stake is locked until withdrawn: `requestWithdrawal` moves part of it out of the active
/// stake and starts the cooldown; `completeWithdrawal` pays it out once the cooldown has passed.
/// Stake in cooldown earns no rewards but can still be slashed: the cooldown exists so that
/// misbehaviour found late is still punishable. Slashed OPEN goes to the treasury.
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

    address public treasury;
    uint64 public cooldown = 7 days;
    /// @notice Active stake (excluding stake in cooldown): what rewards are shared over.
    uint256 public totalStaked;
    /// @notice Rewards per unit of active stake since deployment, × ACCUMULATOR_SCALE.
    uint256 public rewardPerShare;
    /// @dev Remainder of the last accumulator division (in units of wei × ACCUMULATOR_SCALE).
    uint256 private _rewardCarry;

    mapping(address staker => StakeInfo) private _stakes;

    event Staked(address indexed staker, uint8 role, uint256 amount, uint256 newStake);
    event WithdrawalRequested(address indexed staker, uint256 amount, uint256 pendingWithdrawal, uint64 unlockTime);
    event WithdrawalCompleted(address indexed staker, uint256 amount);
    event Slashed(address indexed staker, uint256 amount, string evidence, address indexed slasher);
    event RewardsDistributed(address indexed from, uint256 amount, uint256 rewardPerShare);
    event RewardsClaimed(address indexed staker, uint256 amount);
    event CooldownUpdated(uint64 cooldown);
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
        Address.sendValue(payable(treasury), amount);
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

    /// @dev Brings a staker's rewards up to date; called before every change of their active stake.
    function _accrue(StakeInfo storage s) private {
        s.rewards += _earnedSinceLastAccrual(s);
        s.rewardPerSharePaid = rewardPerShare;
    }

    function _earnedSinceLastAccrual(StakeInfo storage s) private view returns (uint256) {
        return (s.amount * (rewardPerShare - s.rewardPerSharePaid)) / ACCUMULATOR_SCALE;
    }
}
